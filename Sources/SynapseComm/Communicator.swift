/// Reduction applied by `allReduce`.
public enum ReduceOp: Sendable {
    /// Elementwise sum over ranks.
    case sum
    /// Elementwise maximum over ranks (used for the per-step control flags).
    case max
}

/// The collective operations data-parallel training needs, over a fixed group of ranks.
///
/// Everything above the communication layer talks to this protocol only: the trainer runs
/// the same code alone (`LocalCommunicator`), under mpirun (`MPICommunicator`) and in tests.
/// Every call is collective: all ranks must make the same calls in the same order, or the
/// job hangs, which is why rank-0-only branches never contain one.
public protocol Communicator: AnyObject {
    /// This process's index in the group, 0..<size.
    var rank: Int { get }
    /// Number of ranks in the group.
    var size: Int { get }
    /// Replaces `buffer` on every rank with the elementwise reduction over all ranks.
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws
    /// Same as `allReduce` for doubles (metric sums that must not lose precision).
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws
    /// Starts `allReduce` of `buffer` in place and returns at once with its request
    /// (`MPI_Iallreduce`): the gradient buckets go out while backward still runs. The buffer
    /// belongs to the communicator until the request completes (`CollectiveRequest`), and every
    /// rank must start its requests in the same order.
    func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest
    /// Starts gathering every rank's `send` block into `receive`, rank r's block at
    /// `r · send.count`, and returns at once with its request (`MPI_Iallgather`). Both buffers
    /// belong to the communicator until the request completes; every rank passes blocks of the
    /// same length and starts its requests in the same order.
    /// - Shape: send [n] → receive [size · n].
    func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest
    /// Copies `buffer` from rank `root` to every other rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Returns when every rank has reached it.
    func barrier() throws
    /// Whether the ranks run on more than one machine (their gradients then cross a network,
    /// where bytes cost far more than in shared memory). The same on every rank.
    var spansMachines: Bool { get }
}

extension Communicator {
    /// False: a communicator that does not know assumes one machine.
    public var spansMachines: Bool { false }

    /// Whether this is rank 0, the rank that prints, writes metrics and checkpoints.
    public var isRoot: Bool { rank == 0 }

    /// All-reduces an array of doubles and returns the result.
    public func allReduce(_ values: [Double], op: ReduceOp) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allReduce($0, op: op) }
        return v
    }

    /// Broadcasts a byte array from `root`; every rank gets root's bytes (lengths must match:
    /// broadcast the length first if it may differ).
    public func broadcast(bytes: [UInt8], root: Int) throws -> [UInt8] {
        var b = bytes
        try b.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return b
    }
}

/// The communicator of a job with one rank: every collective is the identity.
public final class LocalCommunicator: Communicator {
    /// Creates the single-rank communicator.
    public init() {}
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var size: Int { 1 }
    /// Leaves `buffer` as it is: one rank's values are the reduction.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {}
    /// Leaves `buffer` as it is: one rank's values are the reduction.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {}
    /// A request that is already complete: one rank's buffer is its own sum.
    public func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        CompletedRequest()
    }
    /// Copies `send` into `receive` (one rank: its block is the whole result).
    public func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        precondition(receive.count == send.count, "startAllGather: receive holds \(receive.count) floats, expected \(send.count)")
        if let source = send.baseAddress { receive.baseAddress!.update(from: source, count: send.count) }
        return CompletedRequest()
    }
    /// Leaves `buffer` as it is: the root is this rank.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    /// Returns at once: there is no other rank to wait for.
    public func barrier() throws {}
}
