/// Sums per-channel batch-norm statistics over the replicas of a data-parallel job, so that
/// every replica normalizes with the statistics of the GLOBAL batch (PyTorch's
/// `nn.SyncBatchNorm`).
///
/// Batch norm calls it twice per training step and layer, always in the same order on every
/// replica: in forward with `[Σx (C), Σx² (C), count]`, and in backward (only when the input
/// needs a gradient) with `[Σdy (C), Σdy·x̂ (C)]`. It is therefore a collective: every replica
/// must run the same layers in the same order, as data-parallel training does anyway.
///
/// The protocol lives in Core, below the communication layer, so that layers need not know
/// about MPI; the trainer adapts its communicator (`allReduce(buffer, op: .sum)`). Forward and
/// backward cannot throw, so an adapter whose all-reduce fails should remember the error for
/// the trainer to rethrow after the step (the values are then meaningless) or stop the process.
public protocol BatchStatisticsReducer: AnyObject {
    /// Replaces every element of `buffer` with its sum over all replicas (this one included).
    func sumAcrossReplicas(_ buffer: UnsafeMutableBufferPointer<Double>)
}
