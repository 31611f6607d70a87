import Dispatch
import SynapseComm

/// A communicator that times the float all-reduces passing through it (in a training step,
/// the gradient arena with its control flags) for `synapse bench`, so the training step
/// itself carries no timing code.
///
/// What it counts is the time this rank spends WAITING on communication: the whole of a
/// blocking all-reduce, and for an overlapped one (`startAllReduce`, the gradient buckets) the
/// time spent starting it, testing it between backward rules and waiting for it at the end —
/// the part of the transfer that backward did not hide.
///
/// With `separatesSkew`, each of those all-reduces is preceded by a barrier timed apart: the
/// wait for the slowest rank, so that the all-reduce figure is the collective's own cost
/// rather than load imbalance between ranks (the barrier costs a round trip, so training
/// never uses it).
public final class TimingCommunicator: Communicator {
    /// The communicator that does the work.
    public let base: any Communicator
    /// Whether to time the wait for the slowest rank apart (see above).
    public var separatesSkew: Bool
    /// Seconds spent waiting on float all-reduces (see above), and in the barriers before them.
    public fileprivate(set) var allReduceSeconds = 0.0, skewSeconds = 0.0

    /// Wraps `base`.
    public init(_ base: any Communicator, separatesSkew: Bool = false) {
        self.base = base
        self.separatesSkew = separatesSkew
    }

    /// Starts the clocks again.
    public func resetTimers() {
        allReduceSeconds = 0
        skewSeconds = 0
    }

    /// The base communicator's rank.
    public var rank: Int { base.rank }
    /// The base communicator's size.
    public var size: Int { base.size }
    /// Whether the base communicator's ranks are on more than one machine.
    public var spansMachines: Bool { base.spansMachines }

    /// The base's all-reduce, its time counted (after the barrier when the skew is timed apart).
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        try waitForSlowestRank()
        try timed { try base.allReduce(buffer, op: op) }
    }

    /// With `separatesSkew` each bucket is preceded by its own timed barrier, which spoils the
    /// overlap it measures: use it to see the skew, not the overlap.
    public func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        try waitForSlowestRank()
        let request = try timed { try base.startAllReduce(buffer, op: op) }
        return TimedRequest(base: request, timing: self)
    }

    /// The base's all-gather (a layer's gradient factors, `FactoredLinearGradient`), its
    /// starting, testing and waiting counted like an overlapped all-reduce's.
    public func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        let request = try timed { try base.startAllGather(send, into: receive) }
        return TimedRequest(base: request, timing: self)
    }

    /// With `separatesSkew`: a barrier, timed apart.
    private func waitForSlowestRank() throws {
        guard separatesSkew else { return }
        let w = DispatchTime.now().uptimeNanoseconds
        try base.barrier()
        skewSeconds += Double(DispatchTime.now().uptimeNanoseconds - w) * 1e-9
    }

    /// Runs `body`, adding its duration to `allReduceSeconds`.
    fileprivate func timed<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        return try body()
    }

    /// The base's all-reduce of doubles (metric sums), not timed.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {
        try base.allReduce(buffer, op: op)
    }

    /// The base's broadcast, not timed.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        try base.broadcast(buffer, root: root)
    }

    /// The base's barrier, not timed.
    public func barrier() throws { try base.barrier() }
}

/// A request whose tests and waits count as communication time of its `TimingCommunicator`.
private final class TimedRequest: CollectiveRequest {
    let base: any CollectiveRequest
    let timing: TimingCommunicator
    init(base: any CollectiveRequest, timing: TimingCommunicator) {
        self.base = base
        self.timing = timing
    }
    func test() throws -> Bool { try timing.timed { try base.test() } }
    func wait() throws { try timing.timed { try base.wait() } }
}
