import Foundation
import SynapseComm

/// The training rows of a run's record: sums of loss, correct predictions and predictions
/// over each `train.log_every` interval, all-reduced and written by rank 0 (metrics.jsonl /
/// metrics.csv), and the progress line after every step.
///
/// A checkpoint can fall inside an interval: `openInterval` hands its (global) sums to the
/// checkpoint, and a run resumed from it carries them on, so it logs exactly the rows an
/// uninterrupted run would.
final class TrainingLog {
    private let sync: DistributedSync
    private let metrics: MetricsWriter?
    private let progress: ProgressReporter
    private let logEvery: Int, totalSteps: Int
    /// Predictions (samples, or tokens) in one global batch: the unit of the steps/s estimate.
    private let predictionsPerStep: Double
    private var interval = IntervalMeter()
    private let source: any DataSource

    /// - Parameters:
    ///   - resumed: the progress of a resumed run (its open interval is carried on), or nil.
    ///   - pauseSeconds: time before the first step that is not training (teachers scoring).
    init(sync: DistributedSync, console: Console, metrics: MetricsWriter?, config: TrainConfig, totalSteps: Int,
         source: any DataSource, resumed: TrainingProgress?, pauseSeconds: Double) {
        self.sync = sync
        self.source = source
        self.metrics = metrics
        self.logEvery = config.logEvery
        self.totalSteps = totalSteps
        self.predictionsPerStep = Double(source.predictionsPerStep)
        progress = ProgressReporter(console: console, totalSteps: totalSteps, stepsPerEpoch: source.stepsPerEpoch,
                                    plainEvery: config.logEvery, unit: source.unit)
        if let open = resumed?.openInterval, sync.comm.isRoot {
            // The checkpoint's sums are global already, so only rank 0 carries them into the
            // next all-reduce.
            interval.add(loss: open[0], correct: open[1], samples: open[2])
            interval.startTime = -open[3]
        }
        interval.startTime += pauseSeconds
    }

    /// Adds a step's result; at the end of an interval (or of the run) writes its row
    /// (collective at the same step on every rank), then updates the progress line.
    /// - Parameter now: seconds since this process's run started.
    func record(_ result: Replica.StepResult, state: inout TrainingProgress, now: Double) throws {
        let n = Double(result.predictions)
        interval.add(loss: Double(result.loss) * n, correct: Double(result.correct), samples: n)
        if state.step % logEvery == 0 || state.step == totalSteps {
            let sums = try sync.sum([interval.loss, interval.correct, interval.samples])
            var row = MetricsRow(step: state.step, epoch: state.epoch + 1, split: "train",
                                 loss: sums[0] / max(sums[2], 1), accuracy: sums[1] / max(sums[2], 1),
                                 lr: Double(result.learningRate), samplesPerSec: interval.rate(globalSamples: sums[2], now: now),
                                 elapsedSec: state.elapsedBefore + now)
            // The interval's steps: those after the previous row (rows fall on multiples of log_every).
            row.bitsPerChar = source.bitsPerCharacter(row.loss, over: .trainingSteps((state.step - 1) / logEvery * logEvery..<state.step))
            try metrics?.append(row)
            state.trainSamples += sums[2]
            state.trainSeconds += interval.seconds(now: now)
            interval.reset(now: now)
        }
        // Whole-run rates: trainSeconds and trainSamples both carry over a resume.
        let rate = state.trainSeconds > 0 ? state.trainSamples / state.trainSeconds : 0
        // This rank's loss, over the characters of the step's global batch: exact on one rank.
        progress.update(step: state.step, epoch: state.epoch + 1, loss: Double(result.loss),
                        bitsPerCharacter: source.bitsPerCharacter(Double(result.loss), over: .trainingSteps(state.step - 1..<state.step)),
                        samplesPerSec: rate, stepsPerSec: rate / predictionsPerStep, now: now)
    }

    /// Takes `seconds` (an evaluation) out of the interval's training time.
    func pause(_ seconds: Double) { interval.startTime += seconds }

    /// `state` with the global sums of the interval not yet logged (a collective), for a
    /// checkpoint.
    func withOpenInterval(_ state: TrainingProgress, now: Double) throws -> TrainingProgress {
        var p = state
        let sums = try sync.sum([interval.loss, interval.correct, interval.samples])
        p.openInterval = sums[2] > 0 ? sums + [interval.seconds(now: now)] : nil
        return p
    }
}

/// Sums over the steps between two log lines.
struct IntervalMeter {
    var loss = 0.0, correct = 0.0, samples = 0.0
    var startTime = 0.0

    mutating func add(loss l: Double, correct c: Double, samples s: Double) {
        loss += l; correct += c; samples += s
    }
    func seconds(now: Double) -> Double { now - startTime }
    func rate(globalSamples: Double, now: Double) -> Double {
        let dt = now - startTime
        return dt > 0 ? globalSamples / dt : 0
    }
    mutating func reset(now: Double) {
        loss = 0; correct = 0; samples = 0; startTime = now
    }
}
