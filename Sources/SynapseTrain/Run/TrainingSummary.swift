import Foundation

/// What `Trainer.run` reports at the end.
public struct TrainingSummary: Sendable {
    /// Optimizer steps taken in total (including before a resume).
    public var steps: Int
    /// Last epoch reached (1-based).
    public var epoch: Int
    /// Final validation loss/accuracy (nil without a validation split).
    public var finalVal: EvalResult?
    /// Best validation result seen, and the epoch it came from.
    public var bestVal: EvalResult?, bestEpoch: Int?
    /// Test result at the end (nil when stopped early by a signal).
    public var test: EvalResult?
    /// Wall time in seconds (this process).
    public var seconds: Double
    /// Mean training throughput over the run.
    public var samplesPerSec: Double
    /// Where the final checkpoint is.
    public var checkpoint: URL?
    /// Whether the run stopped because a signal asked it to (checkpoint saved).
    public var stoppedBySignal: Bool
    /// Whether early stopping ended the run.
    public var stoppedEarly: Bool
}
