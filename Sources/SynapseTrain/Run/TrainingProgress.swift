import SynapseOptim

/// Where a run stands: everything besides parameters and optimizer state that a resumed run
/// needs to continue exactly (saved in each checkpoint's state.json).
public struct TrainingProgress: Codable, Sendable, Equatable {
    /// Optimizer steps taken.
    public var step = 0
    /// Completed epochs (the current epoch's index, 0-based).
    public var epoch = 0
    /// Global batches already taken from the current epoch (the sampler position).
    public var batchInEpoch = 0
    /// Wall seconds spent by earlier runs of this training (before the last resume).
    public var elapsedBefore = 0.0
    /// Samples and seconds of pure training time, for the mean throughput.
    public var trainSamples = 0.0, trainSeconds = 0.0
    /// Validation results.
    public var lastVal: EvalResult? = nil, bestVal: EvalResult? = nil
    /// Epoch (1-based) of the best validation result.
    public var bestEpoch: Int? = nil
    /// Epochs since the monitored metric last improved by more than min_delta.
    public var epochsWithoutImprovement = 0
    /// Global sums of the training log interval the checkpoint cut short: loss·samples,
    /// correct, samples, seconds (nil when the checkpoint fell on a log boundary).
    public var openInterval: [Double]? = nil
    /// State of a reduce-on-plateau schedule (factor 1 for other schedules).
    public var plateau = ReduceOnPlateau()

    /// Creates the state of a fresh run.
    public init() {}

    /// Records a validation result; returns whether it is the new best for the monitored
    /// metric (lower val_loss or higher val_accuracy, by more than min_delta).
    public mutating func recordValidation(_ val: EvalResult, epoch: Int, config: EarlyStoppingConfig) -> Bool {
        lastVal = val
        let improved: Bool
        if let best = bestVal {
            switch config.metric {
            case .valLoss: improved = val.loss < best.loss - Double(config.minDelta)
            case .valAccuracy: improved = val.accuracy > best.accuracy + Double(config.minDelta)
            }
        } else {
            improved = true
        }
        if improved {
            bestVal = val
            bestEpoch = epoch
            epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
        }
        return improved
    }

    /// Whether early stopping should end the run now (patience 0 disables it). Every rank
    /// computes this from the same all-reduced metrics, so all agree without a collective.
    public func shouldStopEarly(config: EarlyStoppingConfig) -> Bool {
        config.patience > 0 && epochsWithoutImprovement >= config.patience
    }
}
