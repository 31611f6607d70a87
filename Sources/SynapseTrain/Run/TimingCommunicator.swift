import Dispatch
import SynapseComm

/// A communicator that times the float all-reduces passing through it (in a training step,
/// the gradient arena with its control flags) for `synapse bench`, so the training step
/// itself carries no timing code.
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
    /// Seconds spent in float all-reduces, and in the barriers before them.
    public private(set) var allReduceSeconds = 0.0, skewSeconds = 0.0

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

    public var rank: Int { base.rank }
    public var size: Int { base.size }

    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        if separatesSkew {
            let w = DispatchTime.now().uptimeNanoseconds
            try base.barrier()
            skewSeconds += Double(DispatchTime.now().uptimeNanoseconds - w) * 1e-9
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { allReduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        try base.allReduce(buffer, op: op)
    }

    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {
        try base.allReduce(buffer, op: op)
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        try base.broadcast(buffer, root: root)
    }

    public func barrier() throws { try base.barrier() }
}
