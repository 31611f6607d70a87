import Foundation
import Dispatch
import SynapseCore
import SynapseNN
import SynapseOptim
import SynapseComm

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

/// The training loop: every rank runs this same code on its shard (DESIGN.md rules 1–9).
///
/// Per step: fill this rank's slice of the global batch → forward → loss → backward (seeded
/// with 1/size) → ONE all-reduce of the gradient arena with the control flags (stop request,
/// non-finite loss) riding at its end → clip / penalties → optimizer step. Rank 0 alone writes metrics and
/// checkpoints, through `Console`, `MetricsWriter` and `CheckpointIO`; every collective sits
/// outside those rank-0 branches.
public final class Trainer {
    /// The resolved configuration.
    public let config: Config
    /// The ranks.
    public let comm: any Communicator
    /// Where config.yaml, metrics and checkpoints go.
    public let runDirectory: URL
    /// The model replica on this rank.
    public let model: Sequential
    /// Its parameters and gradients.
    public let arena: ParameterArena
    /// The update rule.
    public let optimizer: any Optimizer
    /// The running average of the weights that validation and test score (`train.ema_decay`), or nil.
    public let ema: ExponentialMovingAverage?
    /// Sharpness-aware minimization (`train.sam_rho`), or nil: each step's gradient is then
    /// taken at the worst nearby weights.
    public let sam: SharpnessAwareMinimization?
    /// The data, already normalized and split.
    public let data: TrainingData
    /// The distillation teachers' predictions for the training images (`train.distillation`),
    /// computed by `loadTeachers`; nil without distillation.
    private(set) var teacherPredictions: TeacherPredictions?
    /// What `train.freeze` froze, or nil when every parameter trains.
    let frozenLayers: LayerFreezing.Summary?
    /// Whether `loadPretrainedWeights` has copied the weights of `model.init_from` already.
    var pretrainedWeightsLoaded = false
    /// Set by SIGTERM / SIGUSR1 (or by a test).
    public let stopSignal: StopSignal
    /// Test aid only (`synapse train --inject-nan`): a rank that reports a NaN loss at a step.
    public var faultInjection: FaultInjection? = nil

    let sync: DistributedSync
    let console: Console
    let regularization: Regularization
    /// The learning rate as a function of step and epoch (stateless, so resumes are exact).
    public let schedule: LearningRateSchedule

    /// Builds the model, optimizer and data for `config` on this rank. Throws `UserError` for
    /// anything the user can fix (data files, batch size not divisible by the rank count ...).
    public init(config: Config, comm: any Communicator, runDirectory: URL, stopSignal: StopSignal,
                data: TrainingData? = nil) throws {
        self.config = config
        self.comm = comm
        self.runDirectory = runDirectory
        self.stopSignal = stopSignal
        self.sync = DistributedSync(comm: comm)
        self.console = Console(rank: comm.rank)

        // Rule 1: batch_size is the global batch.
        let global = config.train.batchSize
        guard global % comm.size == 0 else {
            throw UserError("train.batch_size = \(global) is the GLOBAL batch and must divide evenly over \(comm.size) ranks "
                            + "(\(global) / \(comm.size) is not an integer). Use a multiple of \(comm.size), e.g. "
                            + "--set train.batch_size=\(max(comm.size, global / comm.size * comm.size)).")
        }
        self.data = try data ?? TrainingData(config: config)
        guard self.data.stepsPerEpoch(globalBatch: global, worldSize: comm.size) > 0 else {
            throw UserError("train.batch_size = \(global) is larger than the training split (\(self.data.trainCount) samples); "
                            + "lower train.batch_size or use more data (data.train_subset, data.validation_size).")
        }
        var initRNG = RandomGenerator(seed: config.train.seed, stream: RandomGenerator.Stream.initialization)
        self.model = try ModelFactory.build(config: config.model, inputShape: self.data.imageShape,
                                            outputSize: self.data.classCount, rng: &initRNG)
        self.arena = ParameterArena(parameters: model.namedParameters())
        try ParameterNamePrefix.requireMatches(config.model.initSkip, key: "model.init_skip",
                                               in: model.namedParameters().map(\.name) + model.namedBuffers().map(\.name))
        self.frozenLayers = config.train.freeze.isEmpty ? nil : try LayerFreezing.apply(config.train.freeze, to: model)
        self.optimizer = try OptimizerFactory.make(config: config.optimizer, arena: arena)
        self.ema = config.train.emaDecay > 0
            ? ExponentialMovingAverage(decay: config.train.emaDecay, arena: arena, buffers: model.namedBuffers().map(\.tensor))
            : nil
        self.sam = config.train.samRho > 0
            ? SharpnessAwareMinimization(rho: config.train.samRho, adaptive: config.train.samAdaptive, arena: arena)
            : nil
        self.regularization = try Regularization(l1: config.optimizer.l1, l2: config.optimizer.l2)
        self.schedule = config.train.schedule.schedule(baseLearningRate: config.optimizer.lr)
        if config.model.syncBatchNorm && comm.size > 1 {
            model.synchronizeBatchNorm(with: CommunicatorStatisticsReducer(comm: comm))
        }
    }

    /// Trains until the configured epochs / max_steps, a stop signal, or early stopping.
    /// - Parameter resume: checkpoint to continue from (nil: start fresh).
    public func run(resumeFrom resume: URL?) throws -> TrainingSummary {
        let start = Date()
        try sync.checkSameConfig(hash: config.hash)
        let io = CheckpointIO(trainer: self, runStart: start)
        var state = TrainingProgress()
        if let resume {
            // Rank 0 loads; parameters, optimizer state and progress are broadcast.
            state = try io.restore(from: resume)
        } else {
            try loadPretrainedWeights()   // a new run only: a resumed one has them in its checkpoint
            // Rule 2: identical start: rank 0's initial weights win.
            try sync.broadcastParameters(arena)
            ema?.restart()
        }
        let teacherStart = Date()
        try loadTeachers()
        let teacherSeconds = Date().timeIntervalSince(teacherStart)   // not training time (first interval's samples/s)

        let stepsPerEpoch = data.stepsPerEpoch(globalBatch: config.train.batchSize, worldSize: comm.size)
        let metrics: MetricsWriter? = try console.isRoot
            ? MetricsWriter(runDirectory: runDirectory, keepUpToStep: resume == nil ? nil : state.step) : nil
        let perRank = config.train.batchSize / comm.size
        let totalSteps = config.train.totalSteps(stepsPerEpoch: stepsPerEpoch)
        let progress = ProgressReporter(console: console, totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch,
                                        plainEvery: config.train.logEvery)
        if state.step == 0 {
            console.print("training \(model.parameterCount) parameters on \(data.trainCount) samples "
                          + "(val \(data.valCount), test \(data.testCount)); \(comm.size) rank(s) × batch \(perRank) "
                          + "= global batch \(config.train.batchSize); \(totalSteps) steps")
            if let frozenLayers { console.print(frozenLayers.description(ofTotal: model.parameterCount)) }
            if let ema {
                console.print("validation and test score the moving average of the weights (ema_decay \(ema.decay))")
            }
            if let sam {
                console.print("sharpness-aware minimization (\(sam.adaptive ? "adaptive, " : "")rho \(sam.rho)): "
                              + "two forward and backward passes per step")
            }
        } else {
            console.print("resumed at step \(state.step) (epoch \(state.epoch + 1), batch \(state.batchInEpoch)) of \(totalSteps)"
                          + (config.model.startsFromPretrainedWeights ? "; model.init_from is not read again: the checkpoint holds the weights" : ""))
        }

        var interval = IntervalMeter()
        if let open = state.openInterval, comm.isRoot {
            // Continue the log interval the checkpoint cut (its sums are already global, so
            // only rank 0 carries them into the next all-reduce).
            interval.add(loss: open[0], correct: open[1], samples: open[2])
            interval.startTime = -open[3]
        }
        interval.startTime += teacherSeconds
        state.openInterval = nil
        var stoppedBySignal = false, stoppedEarly = false
        var lastCheckpoint: URL? = resume   // the last good one, named if the loss turns non-finite
        model.train()

        epochLoop: while state.step < totalSteps {
            let epoch = state.epoch
            while state.batchInEpoch < stepsPerEpoch && state.step < totalSteps {
                // --- one optimizer step ---
                optimizer.learningRate = schedule.learningRate(step: state.step, epoch: epoch, totalSteps: totalSteps,
                                                               plateauFactor: state.plateau.factorSoFar)
                let batch = try data.trainBatch(epoch: epoch, index: state.batchInEpoch, globalBatch: config.train.batchSize,
                                                rank: comm.rank, worldSize: comm.size)
                let result = try trainStep(x: batch.inputs, labels: batch.labels, step: state.step,
                                           teacherProbabilities: teacherPredictions?.probabilities(for: batch.samples))
                let flags = result.flags
                if flags.nonFiniteLoss {
                    throw sync.agreed(TrainingFailure("the loss became non-finite (NaN or infinity) at step \(state.step + 1) "
                                          + "(epoch \(epoch + 1)) \(flags.nonFiniteRank.map { "on rank \($0)" } ?? "on \(flags.nonFiniteRanks) ranks"); all ranks stopped. The last good checkpoint "
                                          + "\(lastCheckpoint.map { $0.path } ?? "(none yet)") is intact. Lower optimizer.lr or set train.grad_clip_norm."))
                }
                let lossValue = result.loss, correct = result.correct
                state.step += 1
                state.batchInEpoch += 1
                interval.add(loss: Double(lossValue) * Double(perRank), correct: Double(correct), samples: Double(perRank))

                // --- logging (collective at the same step on every rank) ---
                let now = Date().timeIntervalSince(start)
                if state.step % config.train.logEvery == 0 || state.step == totalSteps {
                    let sums = try sync.sum([interval.loss, interval.correct, interval.samples])
                    let rate = interval.rate(globalSamples: sums[2], now: now)
                    let row = MetricsRow(step: state.step, epoch: epoch + 1, split: "train",
                                         loss: sums[0] / max(sums[2], 1), accuracy: sums[1] / max(sums[2], 1),
                                         lr: Double(optimizer.learningRate), samplesPerSec: rate,
                                         elapsedSec: state.elapsedBefore + now)
                    try metrics?.append(row)
                    state.trainSamples += sums[2]
                    state.trainSeconds += interval.seconds(now: now)
                    interval.reset(now: now)
                }
                progress.update(step: state.step, epoch: epoch + 1, loss: Double(lossValue),
                                samplesPerSec: state.trainSeconds > 0 ? state.trainSamples / state.trainSeconds : 0,
                                // Whole-run rate: trainSeconds and trainSamples both carry over a resume.
                                stepsPerSec: state.trainSeconds > 0
                                    ? state.trainSamples / Double(config.train.batchSize) / state.trainSeconds : 0,
                                now: now)

                if flags.stop {
                    stoppedBySignal = true
                    break epochLoop
                }
                if config.train.checkpointEvery > 0 && state.step % config.train.checkpointEvery == 0 && state.step < totalSteps {
                    lastCheckpoint = try io.save(try withOpenInterval(state, interval, now: now))
                }
            }
            if state.batchInEpoch >= stepsPerEpoch {
                // --- end of epoch: validation, early stopping, checkpoint ---
                state.epoch += 1
                state.batchInEpoch = 0
                if data.valCount > 0 {
                    let evalStart = Date()
                    let val = try evaluate(split: .validation)
                    interval.startTime += Date().timeIntervalSince(evalStart)   // eval time is not training time
                    model.train()
                    try metrics?.append(MetricsRow(step: state.step, epoch: state.epoch, split: "val", loss: val.loss,
                                                   accuracy: val.accuracy, lr: Double(optimizer.learningRate),
                                                   samplesPerSec: nil, elapsedSec: state.elapsedBefore + Date().timeIntervalSince(start)))
                    console.print("epoch \(state.epoch): val loss \(String(format: "%.4f", val.loss)) accuracy \(String(format: "%.2f", 100 * val.accuracy)) %")
                    let s = config.train.schedule
                    if s.name == .plateau && state.plateau.record(loss: val.loss, factor: s.gamma, patience: s.patience,
                                                                  baseLearningRate: config.optimizer.lr, minLearningRate: s.minLR) {
                        console.print("validation loss has not improved for \(s.patience + 1) epochs: learning rate × \(s.gamma) "
                                      + "→ \(config.optimizer.lr * state.plateau.factorSoFar)")
                    }
                    if state.recordValidation(val, epoch: state.epoch, config: config.train.earlyStopping) {
                        io.rememberBest()
                    }
                    if state.shouldStopEarly(config: config.train.earlyStopping) {
                        console.print("early stopping: no improvement of \(config.train.earlyStopping.metric) for \(config.train.earlyStopping.patience) epochs")
                        stoppedEarly = true
                    }
                }
                if state.step < totalSteps && !stoppedEarly {
                    lastCheckpoint = try io.save(try withOpenInterval(state, interval, now: Date().timeIntervalSince(start)))
                }
                if stoppedEarly { break epochLoop }
            }
        }

        // --- the end: always a checkpoint, then test (unless stopped by a signal) ---
        if stoppedEarly && config.train.earlyStopping.restoreBest {
            io.restoreBest()
        }
        var summary = TrainingSummary(steps: state.step, epoch: state.epoch + (state.batchInEpoch > 0 ? 1 : 0),
                                      finalVal: state.lastVal, bestVal: state.bestVal, bestEpoch: state.bestEpoch,
                                      test: nil, seconds: Date().timeIntervalSince(start),
                                      samplesPerSec: state.trainSeconds > 0 ? state.trainSamples / state.trainSeconds : 0,
                                      checkpoint: nil, stoppedBySignal: stoppedBySignal, stoppedEarly: stoppedEarly)
        summary.checkpoint = try io.save(try withOpenInterval(state, interval, now: Date().timeIntervalSince(start)))
        if !stoppedBySignal && data.testCount > 0 {
            let test = try evaluate(split: .test)
            summary.test = test
            try metrics?.append(MetricsRow(step: state.step, epoch: summary.epoch, split: "test", loss: test.loss,
                                           accuracy: test.accuracy, lr: Double(optimizer.learningRate),
                                           samplesPerSec: nil, elapsedSec: state.elapsedBefore + Date().timeIntervalSince(start)))
        }
        return summary
    }

    /// Loads the distillation teachers (`train.distillation`) and has them score the training
    /// images, unless that is done already or distillation is off. `run` calls it; call it
    /// earlier to find a bad teacher before anything is written. Collective.
    public func loadTeachers() throws {
        let distillation = config.train.distillation
        guard distillation.isEnabled && teacherPredictions == nil else { return }
        let t0 = Date()
        teacherPredictions = try TeacherPredictions(config: distillation, student: config, data: data, comm: comm)
        console.print("distillation: \(distillation.teachers.count) teacher(s) scored the \(data.trainCount) training images "
                      + "in \(formatDuration(Date().timeIntervalSince(t0))); loss = \(1 - distillation.weight) × cross-entropy + "
                      + "\(distillation.weight) × T²·KL(teacher ‖ student), T = \(distillation.temperature)")
    }

    /// What one training step produced.
    public struct StepResult {
        /// This rank's mean loss on its part of the batch.
        public var loss: Float
        /// This rank's correctly classified samples.
        public var correct: Int
        /// The flags all ranks agreed on at this step.
        public var flags: DistributedSync.ControlFlags
    }

    /// One optimizer step on this rank's slice `x` of the global batch: forward, loss,
    /// backward, one all-reduce of the gradient arena with the control flags riding at its
    /// end, clipping and penalties, update. When any rank saw a non-finite loss the update
    /// is skipped on every rank and the flags say so.
    ///
    /// With `train.sam_rho` (sharpness-aware minimization) the all-reduced gradient moves the
    /// weights uphill to w + e, a second forward and backward on the same samples (same dropout
    /// masks, batch norm running statistics left alone: the batch was counted once) gives the
    /// gradient that is all-reduced again and used for the update at the restored w. The loss
    /// and accuracy reported are the first pass's, at w. Penalties and clipping act on the
    /// second gradient only.
    ///
    /// With `teacherProbabilities` (distillation) the loss is (1 − α)·cross-entropy +
    /// α·`distillationLoss` against them, α = `train.distillation.weight`.
    /// - Shape: x [B/S, features], labels [B/S], teacherProbabilities [B/S, classes].
    public func trainStep(x: Tensor, labels: [Int32], step: Int, teacherProbabilities: Tensor? = nil) throws -> StepResult {
        let (lossValue, correct) = forwardBackward(x: x, labels: labels, step: step, teacher: teacherProbabilities)
        if measuresRankSkew {
            // Benchmark only: wait for the slowest rank first, so the time below is the
            // collectives' own cost rather than load imbalance between ranks.
            let w = DispatchTime.now().uptimeNanoseconds
            try comm.barrier()
            skewSeconds += Double(DispatchTime.now().uptimeNanoseconds - w) * 1e-9
        }
        var flags = try reduceGradients(stop: stopSignal.isRequested, lossValue: lossValue)
        if flags.nonFiniteLoss { return StepResult(loss: lossValue, correct: correct, flags: flags) }
        if let sam {
            sam.ascend()
            model.freezeBatchNormStatistics(true)
            let (perturbedLoss, _) = forwardBackward(x: x, labels: labels, step: step, teacher: teacherProbabilities)
            model.freezeBatchNormStatistics(false)
            sam.restore()
            let second = try reduceGradients(stop: flags.stop, lossValue: perturbedLoss)
            flags.stop = second.stop
            if second.nonFiniteLoss { return StepResult(loss: perturbedLoss, correct: correct, flags: second) }
        }
        if config.train.gradClipNorm > 0 { _ = clipGradientNorm(of: arena, maxNorm: config.train.gradClipNorm) }
        regularization.apply(to: arena)
        optimizer.step()
        ema?.update()
        return StepResult(loss: lossValue, correct: correct, flags: flags)
    }

    /// Zeroed gradients, then forward, loss and backward on this rank's samples with the
    /// dropout masks of `step`: this rank's (pre-divided) gradient in `arena.grads`.
    /// - Returns: this rank's mean loss (after fault injection) and its correct predictions.
    func forwardBackward(x: Tensor, labels: [Int32], step: Int, teacher: Tensor? = nil) -> (loss: Float, correct: Int) {
        reseedDropout(step: step)
        arena.zeroGrads()
        let logits = model(x)
        var loss = lossFunction(logits: logits, labels: labels)
        if let teacher {
            let d = config.train.distillation
            loss = add(scale(loss, by: 1 - d.weight),
                       scale(distillationLoss(logits: logits, teacherProbabilities: teacher, temperature: d.temperature),
                             by: d.weight))
        }
        var lossValue = loss.item()
        if let faultInjection { lossValue = faultInjection.loss(lossValue, step: step, rank: comm.rank) }
        let correct = countCorrect(logits: logits, labels: labels)
        // Seed 1/size instead of 1: each rank's gradient comes out pre-divided, so the summing
        // all-reduce yields the mean over the global batch (rule 5) with no extra pass.
        loss.backward(gradient: backwardSeed)
        return (lossValue, correct)
    }

    /// The gradient all-reduce with this rank's control flags riding at its end, timed.
    private func reduceGradients(stop: Bool, lossValue: Float) throws -> DistributedSync.ControlFlags {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        return try sync.reduceGradients(arena, flags: .init(stop: stop, nonFiniteLoss: !lossValue.isFinite))
    }

    /// [1/size]: the gradient that seeds each rank's backward pass.
    private lazy var backwardSeed = Tensor(shape: [1], values: [1 / Float(comm.size)])

    /// Seconds spent in the per-step all-reduce (gradients and control flags).
    public internal(set) var communicationSeconds = 0.0
    /// Benchmarks set this to time the wait for the slowest rank (a barrier) apart from the
    /// all-reduces; training leaves it off (the barrier costs a round trip).
    public var measuresRankSkew = false
    /// Seconds spent waiting for the slowest rank when `measuresRankSkew` is on.
    public internal(set) var skewSeconds = 0.0

    /// `progress` with the sums of the current, not yet logged interval (all-reduced: a
    /// collective), so a run resumed from this checkpoint logs exactly the rows an
    /// uninterrupted run would.
    func withOpenInterval(_ progress: TrainingProgress, _ interval: IntervalMeter, now: Double) throws -> TrainingProgress {
        var p = progress
        let sums = try sync.sum([interval.loss, interval.correct, interval.samples])
        p.openInterval = sums[2] > 0 ? sums + [interval.seconds(now: now)] : nil
        return p
    }

    /// Rule 9: sharded evaluation; each rank scores its own samples (no padding), sums are
    /// all-reduced, so every sample counts exactly once.
    /// With `train.ema_decay` the averaged weights are scored.
    public func evaluate(split: TrainingData.Split) throws -> EvalResult {
        try withEvaluatedWeights { try evaluateModel(split: split) }
    }

    /// Runs `body` with the weights that validation and test score in the model: the moving
    /// average with `train.ema_decay`, else the current weights.
    public func withEvaluatedWeights<T>(_ body: () throws -> T) rethrows -> T {
        if let ema { return try ema.withAveragedWeights(body) }
        return try body()
    }

    /// `evaluate` with the weights that are in the model now.
    func evaluateModel(split: TrainingData.Split) throws -> EvalResult {
        model.eval()
        var lossSum = 0.0, correct = 0.0, count = 0.0
        try noGrad {
            try data.forEachEvalBatch(split: split, rank: comm.rank, worldSize: comm.size,
                                      batchSize: max(1, config.train.evalBatchSize / comm.size)) { x, labels in
                let logits = model(x)
                let loss = lossFunction(logits: logits, labels: labels, reduction: .sum)
                lossSum += Double(loss.item())
                correct += Double(countCorrect(logits: logits, labels: labels))
                count += Double(labels.count)
            }
        }
        let sums = try sync.sum([lossSum, correct, count])
        return EvalResult(loss: sums[0] / max(sums[2], 1), accuracy: sums[1] / max(sums[2], 1), samples: Int(sums[2]))
    }

    /// The configured loss on a batch. MSE and MAE compare softmax probabilities with one-hot
    /// targets (the classic textbook setup); cross-entropy takes the logits directly.
    func lossFunction(logits: Tensor, labels: [Int32], reduction: Reduction = .mean) -> Tensor {
        switch config.train.loss {
        case .crossEntropy:
            return crossEntropy(logits: logits, labels: labels, reduction: reduction,
                                labelSmoothing: config.train.labelSmoothing)
        case .mse, .mae:
            let target = Tensor.zeros(logits.shape)
            let C = logits.shape[1]
            for (n, l) in labels.enumerated() { target.pointer[n * C + Int(l)] = 1 }
            let p = softmax(logits)
            let perElement = config.train.loss == .mse ? mseLoss(p, target, reduction: .sum) : maeLoss(p, target, reduction: .sum)
            // Mean over samples (not over N·C elements) so the scale matches cross-entropy.
            return reduction == .sum ? perElement : scale(perElement, by: 1 / Float(max(labels.count, 1)))
        }
    }

    /// Dropout masks derived from (seed, step, rank, layer): no RNG state to carry across a
    /// resume, and each rank draws different masks for its different samples.
    func reseedDropout(step: Int) {
        for (k, m) in dropoutLayers.enumerated() {
            let rng = RandomGenerator(seed: config.train.seed, stream: RandomGenerator.Stream.dropout,
                                      UInt64(step), UInt64(comm.rank), UInt64(k))
            if let d = m as? Dropout { d.rng = rng } else if let d = m as? Dropout2d { d.rng = rng }
        }
    }

    /// Every Dropout and Dropout2d layer of the model, depth first in registration order.
    private lazy var dropoutLayers: [Module] = {
        func walk(_ m: Module) -> [Module] {
            (m is Dropout || m is Dropout2d ? [m] : []) + m.children.flatMap { walk($0.module) }
        }
        return walk(model)
    }()
}

/// Loss and accuracy over one split.
public struct EvalResult: Sendable, Codable, Equatable {
    /// Mean loss per sample.
    public var loss: Double
    /// Fraction correct.
    public var accuracy: Double
    /// Samples scored.
    public var samples: Int
}

/// Number of rows whose largest logit is at the label.
/// - Shape: logits [N, C], labels N → count.
public func countCorrect(logits: Tensor, labels: [Int32]) -> Int {
    let C = logits.shape[1]
    var correct = 0
    for n in 0..<labels.count {
        let row = logits.pointer + n * C
        var best = 0
        for j in 1..<C where row[j] > row[best] { best = j }
        if best == Int(labels[n]) { correct += 1 }
    }
    return correct
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
