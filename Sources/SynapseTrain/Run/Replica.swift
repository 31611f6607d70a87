import SynapseCore
import SynapseNN
import SynapseOptim
import SynapseComm

/// Where a training step falls in the run: the optimizer step (0-based) and its epoch
/// (0-based). The learning rate and the dropout masks are functions of it.
public struct StepPosition: Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    /// Seconds of training so far on this rank's clock (evaluation excluded); rank 0's value
    /// is agreed by all ranks in the step's all-reduce (`train.max_minutes`).
    public var trainingSeconds: Double
    /// Creates a position.
    public init(step: Int, epoch: Int, trainingSeconds: Double = 0) {
        self.step = step
        self.epoch = epoch
        self.trainingSeconds = trainingSeconds
    }
}

/// What one rank holds: the model replica, its parameter arena, the optimizer and its state,
/// the learning-rate scheduler, and the optional parts of a recipe (moving average of the
/// weights, sharpness-aware minimization, L1/L2 penalties, frozen layers) — and the one
/// training step every command uses (train, verify, bench), and the sharded evaluation
/// (train, eval, predict, distillation teachers).
///
/// A step on every rank: set the rate → forward → loss → backward (seeded with 1/size) →
/// ONE all-reduce of the gradient arena with the control flags (stop request, non-finite
/// loss) riding at its end → clip / penalties → optimizer step → moving average. When any
/// rank saw a non-finite loss the update is skipped on every rank and the flags say so.
public final class Replica {
    /// The resolved configuration.
    public let config: Config
    /// The ranks.
    public let comm: any Communicator
    let sync: DistributedSync
    /// The model on this rank: any module.
    public let model: Module
    /// Its parameters and gradients.
    public let arena: ParameterArena
    /// The update rule.
    public let optimizer: any Optimizer
    /// The learning rate of every step.
    public let scheduler: LearningRateScheduler
    /// The running average of the weights that validation and test score (`train.ema_decay`), or nil.
    public let ema: ExponentialMovingAverage?
    /// Sharpness-aware minimization (`train.sam_rho`), or nil: each step's gradient is then
    /// taken at the worst nearby weights.
    public let sam: SharpnessAwareMinimization?
    /// What `train.freeze` froze, or nil when every parameter trains.
    let frozenLayers: LayerFreezing.Summary?
    let regularization: Regularization
    /// The loss and what counts as correct (distillation swaps in its own before training).
    public var objective: any Objective
    /// Asked at every step whether a signal wants the run to stop (rides in the flags).
    public var stopSignal: StopSignal
    /// Test aid only (`synapse train --inject-nan`): a rank that reports a NaN loss at a step.
    public var faultInjection: FaultInjection? = nil
    /// The layers that draw random numbers (dropout), numbered for reseeding.
    private let randomized: [any RandomizedModule]
    /// [1/size]: the gradient that seeds each rank's backward pass.
    private let backwardSeed: Tensor

    /// The model `config.model` describes for samples of `inputShape` and `classCount`
    /// outputs, initialized from the seed's initialization stream, with the recipe of
    /// `config`. `totalSteps` is the span of the learning-rate schedule (irrelevant for a
    /// replica that only evaluates).
    public convenience init(config: Config, inputShape: [Int], classCount: Int, totalSteps: Int = 1,
                            comm: any Communicator, stopSignal: StopSignal = StopSignal(signals: [])) throws {
        var initRNG = RandomGenerator(seed: config.train.seed, stream: RandomGenerator.Stream.initialization)
        let model = try ModelFactory.build(config: config.model, inputShape: inputShape, outputSize: classCount, rng: &initRNG)
        try self.init(model: model, config: config, totalSteps: totalSteps, comm: comm, stopSignal: stopSignal)
    }

    /// A replica of `model` (already initialized) with the recipe of `config`.
    public init(model: Module, config: Config, totalSteps: Int = 1, comm: any Communicator,
                stopSignal: StopSignal = StopSignal(signals: [])) throws {
        self.config = config
        self.comm = comm
        self.sync = DistributedSync(comm: comm)
        self.model = model
        self.stopSignal = stopSignal
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
        self.scheduler = LearningRateScheduler(config: config, totalSteps: totalSteps)
        self.objective = Classification(kind: config.train.loss, labelSmoothing: config.train.labelSmoothing)
        if config.model.syncBatchNorm && comm.size > 1 {
            model.synchronizeBatchNorm(with: CommunicatorStatisticsReducer(comm: comm))
        }
        self.randomized = model.randomizedModules()
        self.backwardSeed = Tensor(shape: [1], values: [1 / Float(comm.size)])
    }

    /// Non-learned state saved with the parameters (batch norm running statistics), by name.
    public var buffers: [(name: String, tensor: Tensor)] { model.namedBuffers() }

    /// What one training step produced.
    public struct StepResult {
        /// This rank's mean loss on its part of the batch.
        public var loss: Float
        /// This rank's correct predictions, and its predictions in all (samples, or tokens).
        public var correct: Int, predictions: Int
        /// The learning rate the step used.
        public var learningRate: Float
        /// The flags all ranks agreed on at this step.
        public var flags: DistributedSync.ControlFlags
    }

    /// One optimizer step on this rank's share of a global batch (collective).
    ///
    /// With `train.sam_rho` (sharpness-aware minimization) the all-reduced gradient moves the
    /// weights uphill to w + e, a second forward and backward on the same samples (same dropout
    /// masks, batch norm running statistics left alone: the batch was counted once) gives the
    /// gradient that is all-reduced again and used for the update at the restored w. The loss
    /// and accuracy reported are the first pass's, at w. Penalties and clipping act on the
    /// second gradient only.
    public func step(_ batch: TrainingBatch, at position: StepPosition) throws -> StepResult {
        if !model.isTraining { model.train() }
        let (lossValue, correct) = forwardBackward(batch, step: position.step)
        var result = StepResult(loss: lossValue, correct: correct, predictions: batch.targets.count,
                                learningRate: 0, flags: .init())
        result.flags = try sync.reduceGradients(arena, flags: .init(stop: stopSignal.isRequested, nonFiniteLoss: !lossValue.isFinite,
                                                                    trainingSeconds: position.trainingSeconds))
        // Set after the all-reduce: with a time budget the rate follows rank 0's clock.
        optimizer.learningRate = scheduler.rate(step: position.step, epoch: position.epoch,
                                                trainingSeconds: result.flags.trainingSeconds)
        result.learningRate = optimizer.learningRate
        if result.flags.nonFiniteLoss { return result }
        if let sam {
            sam.ascend()
            model.freezeBatchNormStatistics(true)
            let (perturbedLoss, _) = forwardBackward(batch, step: position.step)
            model.freezeBatchNormStatistics(false)
            sam.restore()
            let second = try sync.reduceGradients(arena, flags: .init(stop: result.flags.stop, nonFiniteLoss: !perturbedLoss.isFinite,
                                                                      trainingSeconds: position.trainingSeconds))
            if second.nonFiniteLoss {
                result.loss = perturbedLoss
                result.flags = second
                return result
            }
            result.flags.stop = second.stop
        }
        if config.train.gradClipNorm > 0 { _ = clipGradientNorm(of: arena, maxNorm: config.train.gradClipNorm) }
        regularization.apply(to: arena)
        optimizer.step()
        ema?.update()
        return result
    }

    /// Zeroed gradients, then forward, loss and backward on this rank's rows with the
    /// dropout masks of `step`: this rank's (pre-divided) gradient in `arena.grads`.
    /// - Returns: this rank's mean loss (after fault injection) and its correct predictions.
    func forwardBackward(_ batch: TrainingBatch, step: Int) -> (loss: Float, correct: Int) {
        reseedRandomizedLayers(step: step)
        arena.zeroGrads()
        let output = model(batch.inputs)
        let loss = objective.trainingLoss(output, batch)
        var lossValue = loss.item()
        if let faultInjection { lossValue = faultInjection.loss(lossValue, step: step, rank: comm.rank) }
        let correct = objective.correct(output, batch)
        // Seed 1/size instead of 1: each rank's gradient comes out pre-divided, so the summing
        // all-reduce yields the mean over the global batch (rule 5) with no extra pass.
        loss.backward(gradient: backwardSeed)
        return (lossValue, correct)
    }

    /// Dropout masks derived from (seed, step, rank, layer): no generator state to carry
    /// across a resume, and each rank draws different masks for its different samples.
    func reseedRandomizedLayers(step: Int) {
        for (k, layer) in randomized.enumerated() {
            layer.rng = RandomGenerator(seed: config.train.seed, stream: RandomGenerator.Stream.dropout,
                                        UInt64(step), UInt64(comm.rank), UInt64(k))
        }
    }

    /// Rule 9: sharded evaluation of `split` (collective): each rank scores its own rows
    /// (no padding), sums are all-reduced, so every sample counts exactly once. With
    /// `train.ema_decay` the averaged weights are scored.
    public func evaluate(_ split: EvaluationSplit, on data: any DataSource) throws -> EvalResult {
        try withEvaluatedWeights { try evaluateCurrentWeights(split, on: data) }
    }

    /// Runs `body` with the weights that validation and test score in the model: the moving
    /// average with `train.ema_decay`, else the current weights.
    public func withEvaluatedWeights<T>(_ body: () throws -> T) rethrows -> T {
        if let ema { return try ema.withAveragedWeights(body) }
        return try body()
    }

    /// `evaluate` with the weights that are in the model now; leaves the model in eval mode.
    func evaluateCurrentWeights(_ split: EvaluationSplit, on data: any DataSource) throws -> EvalResult {
        model.eval()
        var lossSum = 0.0, correct = 0.0, count = 0.0
        try noGrad {
            try data.forEachEvalBatch(split: split, batchSize: max(1, config.train.evalBatchSize / comm.size)) { batch in
                let output = model(batch.inputs)
                lossSum += Double(objective.loss(output, batch, reduction: .sum).item())
                correct += Double(objective.correct(output, batch))
                count += Double(batch.targets.count)
            }
        }
        let sums = try sync.sum([lossSum, correct, count])
        return EvalResult(loss: sums[0] / max(sums[2], 1), accuracy: sums[1] / max(sums[2], 1), samples: Int(sums[2]))
    }
}

/// Loss and accuracy over one split.
public struct EvalResult: Sendable, Codable, Equatable {
    /// Mean loss per prediction (sample, or token).
    public var loss: Double
    /// Fraction correct.
    public var accuracy: Double
    /// Predictions scored.
    public var samples: Int
}
