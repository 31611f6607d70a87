import Foundation
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
    /// The weights whose gradients crossed the ranks as factors (`train.gradient_exchange`),
    /// and on how many ranks: a run resumed on the same number of ranks keeps that choice,
    /// wherever its ranks now run, so that it stays bit-exact. nil in checkpoints written
    /// before the choice existed (every gradient was all-reduced).
    public var gradientExchange: GradientExchangeChoice? = nil

    /// Creates the state of a fresh run.
    public init() {}

    /// Which weight gradients went as factors, on how many ranks.
    public struct GradientExchangeChoice: Codable, Sendable, Equatable {
        /// Ranks of the run that chose.
        public var ranks: Int
        /// Arena names of the factored weights (empty: all all-reduced).
        public var factoredWeights: [String]
        /// Creates a record.
        public init(ranks: Int, factoredWeights: [String]) {
            self.ranks = ranks
            self.factoredWeights = factoredWeights
        }
    }

    /// Decodes a checkpoint's `progress.json` and checks what a resumed run relies on:
    /// counters that are not negative, times and sums between 0 and 10^15 (so they convert to `Int`), and
    /// an open log interval of exactly four sums. (A damaged value, with a CRC recomputed to
    /// match, would otherwise trap in the resumed run: an index out of range, a NaN to `Int`.)
    /// - Throws: `CheckpointError(.invalidState)` naming `source` and the bad field.
    public static func decode(json: Data, source: String) throws -> TrainingProgress {
        let p: TrainingProgress
        do {
            p = try JSONDecoder().decode(TrainingProgress.self, from: json)
        } catch {
            throw CheckpointError(.invalidState, "checkpoint \(source) has an unreadable progress.json (\(error)); it was not loaded.")
        }
        var problems: [String] = []
        for (name, value) in [("step", p.step), ("epoch", p.epoch), ("batchInEpoch", p.batchInEpoch),
                              ("epochsWithoutImprovement", p.epochsWithoutImprovement), ("bestEpoch", p.bestEpoch ?? 0)]
        where value < 0 {
            problems.append("\(name) is \(value)")
        }
        var sums = [("elapsedBefore", p.elapsedBefore), ("trainSamples", p.trainSamples), ("trainSeconds", p.trainSeconds)]
        if let open = p.openInterval {
            if open.count != 4 { problems.append("openInterval has \(open.count) values, not 4") }
            sums += open.map { ("openInterval", $0) }
        }
        for (name, value) in sums where !(value >= 0 && value <= 1e15) {   // rejects NaN and infinities too
            problems.append("\(name) is \(value)")
        }
        guard problems.isEmpty else {
            throw CheckpointError(.invalidState, "checkpoint \(source) has an invalid progress.json: "
                                  + problems.joined(separator: ", ") + "; it was not loaded. Resume from an earlier checkpoint.")
        }
        return p
    }

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
