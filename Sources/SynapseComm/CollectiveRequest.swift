/// A collective started without waiting for it (`Communicator.startAllReduce`): the handle to
/// make progress on it, ask whether it is done, and wait for it.
///
/// Until the request has completed, its buffer belongs to the communicator: neither read nor
/// written by anyone else (MPI may send from it or write partial results into it at any time).
/// Every rank must start its requests in the same order, like every other collective.
/// Reference: MPI 4.0 standard, §6.12 "Nonblocking Collective Operations" and §3.7.3
/// ("MPI_Test", "MPI_Wait").
public protocol CollectiveRequest: AnyObject {
    /// Makes progress on the operation and returns whether it has completed (`MPI_Test`);
    /// once true, the buffer holds the result and later calls return true at once.
    func test() throws -> Bool
    /// Returns when the operation has completed (`MPI_Wait`, or polling under a watchdog).
    /// - Throws: `CollectiveTimeout` when the communicator's watchdog gives up waiting.
    func wait() throws
}

/// A request that was complete when it was returned: what a communicator that reduces at
/// once (`LocalCommunicator`, one rank) hands back.
public final class CompletedRequest: CollectiveRequest {
    /// Creates the completed request.
    public init() {}
    /// Always true: the operation was done before the request existed.
    public func test() throws -> Bool { true }
    /// Returns at once.
    public func wait() throws {}
}
