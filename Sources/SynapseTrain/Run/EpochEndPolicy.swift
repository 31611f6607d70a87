import Foundation
import SynapseCore

/// What happens when an epoch ends, in one place: the validation pass and its row in the
/// record, the reduce-on-plateau schedule, early stopping, and the best weights that
/// `restore_best` puts back. Every rank runs it on the same all-reduced metrics, so every
/// decision is the same on all ranks without a further collective (rule 4).
final class EpochEndPolicy {
    private let replica: Replica
    private let data: any DataSource
    private let console: Console
    private let metrics: MetricsWriter?
    private let earlyStopping: EarlyStoppingConfig
    /// The best weights so far (the moving average's, when the run keeps one), kept only
    /// when early stopping may restore them; saved with each checkpoint as best.safetensors.
    var best: WeightsSnapshot?

    init(replica: Replica, data: any DataSource, console: Console, metrics: MetricsWriter?) {
        self.replica = replica
        self.data = data
        self.console = console
        self.metrics = metrics
        self.earlyStopping = replica.config.train.earlyStopping
    }

    /// Called with `state` at the end of an epoch (its counters already advanced): validates
    /// when there is a validation split, records the result, lowers the rate on a plateau,
    /// keeps the best weights. Returns whether early stopping ends the run now (collective).
    /// - Parameter elapsed: seconds since this process's run started, for the record.
    func epochEnded(_ state: inout TrainingProgress, elapsed: () -> Double) throws -> Bool {
        guard data.count(of: .validation) > 0 else { return false }
        let val = try replica.evaluate(.validation, on: data)
        var row = MetricsRow(step: state.step, epoch: state.epoch, split: "val", loss: val.loss, accuracy: val.accuracy,
                             lr: Double(replica.optimizer.learningRate), samplesPerSec: nil, elapsedSec: state.elapsedBefore + elapsed())
        row.bitsPerChar = data.bitsPerCharacter(val.loss, over: .evaluation(.validation))
        try metrics?.append(row)
        console.print("epoch \(state.epoch): val loss \(String(format: "%.4f", val.loss))"
                      + (row.bitsPerChar.map { String(format: " (%.3f bits/char)", $0) } ?? "")
                      + " accuracy \(String(format: "%.2f", 100 * val.accuracy)) %")
        if let lowered = replica.scheduler.recordValidation(loss: val.loss) {
            let s = replica.config.train.schedule
            console.print("validation loss has not improved for \(s.patience + 1) epochs: learning rate × \(s.gamma) → \(lowered)")
        }
        if state.recordValidation(val, epoch: state.epoch, config: earlyStopping) { rememberBest() }
        guard state.shouldStopEarly(config: earlyStopping) else { return false }
        console.print("early stopping: no improvement of \(earlyStopping.metric) for \(earlyStopping.patience) epochs")
        return true
    }

    /// At the end of a run that has a validation split but no test split (a text) and did not
    /// end on an epoch boundary: one more validation pass, so the run reports where it ended.
    func finalValidation(_ state: inout TrainingProgress, elapsed: () -> Double) throws {
        guard data.count(of: .test) == 0 && data.count(of: .validation) > 0 && state.batchInEpoch > 0 else { return }
        let val = try replica.evaluate(.validation, on: data)
        var row = MetricsRow(step: state.step, epoch: state.epoch + 1, split: "val", loss: val.loss, accuracy: val.accuracy,
                             lr: Double(replica.optimizer.learningRate), samplesPerSec: nil, elapsedSec: state.elapsedBefore + elapsed())
        row.bitsPerChar = data.bitsPerCharacter(val.loss, over: .evaluation(.validation))
        try metrics?.append(row)
        if state.recordValidation(val, epoch: state.epoch + 1, config: earlyStopping) { rememberBest() }
    }

    /// Keeps a copy of the weights validation just scored as the best so far (identical on
    /// every rank): the moving average with `train.ema_decay`, else the current weights.
    private func rememberBest() {
        guard earlyStopping.isEnabled && earlyStopping.restoreBest else { return }
        if let ema = replica.ema {
            best = WeightsSnapshot(values: ema.parameters, buffers: ema.buffers)
        } else {
            best = WeightsSnapshot(values: Array(replica.arena.values), buffers: replica.buffers.map(\.tensor.scalars))
        }
    }

    /// Puts the best weights back into the model (early stopping with restore_best), and into
    /// the moving average too, so that evaluating the average scores them.
    func restoreBest() {
        guard let best else { return }
        best.values.withUnsafeBufferPointer {
            replica.arena.values.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
        }
        for ((_, tensor), values) in zip(replica.buffers, best.buffers) { tensor.pointer.update(from: values, count: tensor.count) }
        if let ema = replica.ema { ema.load(parameters: best.values, buffers: best.buffers, updates: ema.updates) }
    }
}

/// A model's parameters (laid out like its arena) and buffers, held outside the model: the
/// best weights of early stopping.
struct WeightsSnapshot {
    var values: [Float]
    var buffers: [[Float]]
}
