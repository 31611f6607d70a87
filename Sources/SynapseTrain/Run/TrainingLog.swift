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
    /// `train.max_minutes` in seconds (nil: none), for the ETA.
    private let timeBudget: Double?
    /// Predictions (samples, or tokens) in one global batch: the unit of the steps/s estimate.
    private let predictionsPerStep: Double
    private var interval = IntervalMeter()
    /// The first step (0-based) of the interval: its bits per character are over the windows
    /// of steps `intervalFirstStep..<step`.
    private var intervalFirstStep: Int
    private let source: any DataSource

    /// - Parameters:
    ///   - resumed: the progress of a resumed run (its open interval is carried on), or nil.
    ///
    /// The interval's clock starts at 0, the moment `Trainer.run` starts its own clock: the
    /// preparation before it (checkpoint restore, teachers scoring the data) is not counted.
    init(sync: DistributedSync, console: Console, metrics: MetricsWriter?, config: TrainConfig, totalSteps: Int,
         source: any DataSource, resumed: TrainingProgress?) {
        self.sync = sync
        self.source = source
        self.metrics = metrics
        self.logEvery = config.logEvery
        self.timeBudget = config.timeBudgetSeconds
        self.totalSteps = totalSteps
        self.predictionsPerStep = Double(source.predictionsPerStep)
        // A resumed open interval holds `samples / predictionsPerStep` steps (every rank knows it).
        intervalFirstStep = resumed.map { $0.step - Int((($0.openInterval?[2] ?? 0) / Double(source.predictionsPerStep)).rounded()) } ?? 0
        progress = ProgressReporter(console: console, totalSteps: totalSteps, stepsPerEpoch: source.stepsPerEpoch,
                                    plainEvery: config.logEvery, unit: source.unit)
        if let open = resumed?.openInterval, sync.comm.isRoot {
            // The checkpoint's sums are global already, so only rank 0 carries them into the
            // next all-reduce.
            interval.add(loss: open[0], correct: open[1], samples: open[2])
            interval.startTime = -open[3]
        }
    }

    /// Adds a step's result; at the end of an interval (or of the run: `isLast`, or the last
    /// planned step) writes its row (collective at the same step on every rank), then updates
    /// the progress line.
    /// - Parameter now: seconds since this process's run started.
    func record(_ result: Replica.StepResult, state: inout TrainingProgress, now: Double, isLast: Bool = false) throws {
        let n = Double(result.predictions)
        interval.add(loss: Double(result.loss) * n, correct: Double(result.correct), samples: n)
        if state.step % logEvery == 0 || state.step == totalSteps || isLast {
            let sums = try sync.sum([interval.loss, interval.correct, interval.samples])
            var row = MetricsRow(step: state.step, epoch: state.epoch + 1, split: "train",
                                 loss: sums[0] / max(sums[2], 1), accuracy: sums[1] / max(sums[2], 1),
                                 lr: Double(result.learningRate), samplesPerSec: interval.rate(globalSamples: sums[2], now: now),
                                 elapsedSec: state.elapsedBefore + now)
            row.bitsPerChar = source.bitsPerCharacter(row.loss, over: .trainingSteps(intervalFirstStep..<state.step))
            try metrics?.append(row)
            intervalFirstStep = state.step
            state.trainSamples += sums[2]
            state.trainSeconds += interval.seconds(now: now)
            interval.reset(now: now)
        }
        // Whole-run rates: trainSeconds and trainSamples both carry over a resume.
        let rate = state.trainSeconds > 0 ? state.trainSamples / state.trainSeconds : 0
        // This rank's loss, over the characters of the step's global batch: exact on one rank.
        progress.update(step: state.step, epoch: state.epoch + 1, loss: Double(result.loss),
                        bitsPerCharacter: source.bitsPerCharacter(Double(result.loss), over: .trainingSteps(state.step - 1..<state.step)),
                        samplesPerSec: rate, stepsPerSec: rate / predictionsPerStep, now: now,
                        budgetLeft: timeBudget.map { $0 - trainingSeconds(state, now: now) })
    }

    /// Seconds of training in the whole run so far on this rank's clock (resumed runs
    /// included; evaluation and checkpoint writing not counted).
    func trainingSeconds(_ state: TrainingProgress, now: Double) -> Double {
        state.trainSeconds + interval.seconds(now: now)
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
