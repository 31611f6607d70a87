/// When to stop before the last epoch because validation stopped improving: `train.early_stopping:`.
///
/// After each epoch the monitored metric is compared with the best so far; an epoch counts as an
/// improvement when it beats the best by more than `minDelta`. After `patience` epochs without
/// improvement training stops (all ranks agree on the decision at the same step).
public struct EarlyStoppingConfig: Codable, Equatable, Sendable {
    /// The validation metric to monitor.
    public enum Metric: String, Codable, CaseIterable, Sendable {
        /// Validation loss; lower is better.
        case valLoss = "val_loss"
        /// Validation accuracy; higher is better.
        case valAccuracy = "val_accuracy"
    }

    /// Epochs without improvement before stopping, 0 = early stopping off (`patience`). Default 0.
    public var patience = 0
    /// Smallest change of the metric that counts as an improvement (`min_delta`). Default 0.
    public var minDelta: Float = 0
    /// What to monitor (`metric`). Default `val_loss`.
    public var metric = Metric.valLoss
    /// On stopping, load the parameters of the best epoch back into the model (`restore_best`). Default true.
    public var restoreBest = true

    /// True when early stopping is on.
    public var isEnabled: Bool { patience > 0 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case patience
        case minDelta = "min_delta"
        case metric
        case restoreBest = "restore_best"
    }

    /// Checks value ranges; `path` is where this section sits (`train.early_stopping`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(patience >= 0, path.appending("patience"),
                    "must be 0 (off) or a number of epochs, got \(patience)")
        try require(minDelta >= 0, path.appending("min_delta"),
                    "must be 0 or more (the smallest change that counts as an improvement), got \(minDelta)")
    }
}
