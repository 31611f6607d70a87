import SynapseCore
import SynapseNN
import SynapseOptim
import SynapseComm

/// Where a training step falls in the run: the optimizer step (0-based) and its epoch
/// (0-based). The learning rate and the dropout masks are functions of it.
public struct StepPosition: Sendable, Equatable {
    /// The optimizer step, 0-based.
    public var step: Int
    /// The epoch the step belongs to, 0-based.
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
/// A step on every rank: set the rate → forward → loss → backward (seeded with 1/(size·K)),
/// K times with `train.accumulate_steps: K` → the all-reduce of the gradient arena with the
/// control flags (stop request, non-finite loss) riding at its end — in buckets overlapped with
/// the last backward pass (`train.overlap`, `OverlappedGradientReduction`), or as one call after
/// it; the weight gradients of wide fully connected layers travel as their factors instead
/// (`train.gradient_exchange`, `FactoredLinearGradient`) → clip / penalties → optimizer step →
/// moving average. When any rank saw a non-finite loss the update is skipped on every rank and
/// the flags say so.
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
    /// [1/(size·K)]: the gradient that seeds each backward pass of each rank.
    private let backwardSeed: Tensor
    /// Micro-batches per optimizer step (`train.accumulate_steps`).
    let accumulateSteps: Int
    /// How the gradient arena is cut for the overlapped all-reduce; nil with one rank, or with
    /// one bucket or `train.overlap: false` and no factors (one all-reduce after backward).
    private(set) var buckets: GradientBuckets?
    /// The fully connected layers whose weight gradients cross the ranks as factors
    /// (`train.gradient_exchange`), in arena order; they are in no bucket.
    private(set) var factored: [FactoredLinearGradient] = []

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
        self.accumulateSteps = config.train.accumulateSteps
        self.backwardSeed = Tensor(shape: [1], values: [1 / Float(comm.size * accumulateSteps)])
        let chosen = config.model.kind.feedsOneRowPerSample
            ? FactoredLinearGradient.choose(in: model, exchange: config.train.gradientExchange, rows: factorRows,
                                            ranks: comm.size, acrossMachines: comm.spansMachines)
            : []
        configureExchange(factoring: chosen)
    }

    /// Rows per rank per step that a factored layer keeps (its share of the global batch).
    private var factorRows: Int { config.train.batchSize / comm.size }

    /// Sends the weight gradients of `layers` as factors and the rest of the arena in buckets
    /// (`train.overlap`) or after backward.
    private func configureExchange(factoring layers: [Linear]) {
        factored = FactoredLinearGradient.install(on: layers, of: model, arena: arena, rows: factorRows, ranks: comm.size)
        let excluded = Set(factored.map(\.entry))
        if factored.isEmpty {
            // One bucket leaves nothing to overlap (it is ready only when backward ends): the plain
            // all-reduce after backward is then as early and cheaper (measured over TCP, docs/multi-host.md).
            let plan = GradientBuckets(arena: arena, megabytes: config.train.bucketMb)
            buckets = config.train.overlap && comm.size > 1 && plan.buckets.count > 1 ? plan : nil
        } else if config.train.overlap {
            buckets = GradientBuckets(arena: arena, megabytes: config.train.bucketMb, excluding: excluded)
        } else {   // what the factors leave, in as few all-reduces as the gaps allow, after backward
            buckets = GradientBuckets(arena: arena, bytes: Int(Int32.max), excluding: excluded)
        }
    }

    /// The weights (arena names) whose gradients cross the ranks as factors, in arena order.
    public var factoredWeights: [String] { factored.map { arena.entries[$0.entry].name } }

    /// Sends as factors exactly the gradients of the weights named (`factoredWeights` of the run
    /// that saved a checkpoint), so that a run resumed on another layout of machines makes the
    /// choice its first part made and stays bit-exact. Names that are not the weight of a
    /// fully connected layer here are skipped. Every rank must call it with the same names.
    func factorWeights(named names: [String]) {
        guard comm.size > 1, config.model.kind.feedsOneRowPerSample else { return }
        let wanted = Set(names)
        configureExchange(factoring: model.linearLayers().filter { layer in
            layer.weight.requiresGrad && arena.index(of: layer.weight).map { wanted.contains(arena.entries[$0].name) } == true
        })
    }

    /// Floats this rank hands to the gradient collectives per step: the all-reduced part of the
    /// arena with the control flags, and each factored layer's block.
    public var floatsSentPerStep: Int {
        let factoredFloats = factored.reduce(0) { $0 + arena.entries[$1.entry].count }
        return arena.gradsAndControl.count - factoredFloats + factored.reduce(0) { $0 + $1.blockCount }
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
    /// gradient that is all-reduced again (overlapped too, and over the same micro-batches) and
    /// used for the update at the restored w. The loss and accuracy reported are the first
    /// pass's, at w. Penalties and clipping act on the second gradient only.
    public func step(_ batch: TrainingBatch, at position: StepPosition) throws -> StepResult {
        if !model.isTraining { model.train() }
        let stop = stopSignal.isRequested
        let first = try reducedGradients(batch, step: position.step) { loss in
            .init(stop: stop, nonFiniteLoss: !loss.isFinite, trainingSeconds: position.trainingSeconds)
        }
        var result = StepResult(loss: first.loss, correct: first.correct, predictions: batch.targets.count,
                                learningRate: 0, flags: first.flags)
        // Set after the all-reduce: with a time budget the rate follows rank 0's clock.
        optimizer.learningRate = scheduler.rate(step: position.step, epoch: position.epoch,
                                                trainingSeconds: result.flags.trainingSeconds)
        result.learningRate = optimizer.learningRate
        if result.flags.nonFiniteLoss { return result }
        if let sam {
            sam.ascend()
            model.freezeBatchNormStatistics(true)
            let stopAgreed = result.flags.stop
            let second = try reducedGradients(batch, step: position.step) { loss in
                .init(stop: stopAgreed, nonFiniteLoss: !loss.isFinite, trainingSeconds: position.trainingSeconds)
            }
            model.freezeBatchNormStatistics(false)
            sam.restore()   // the weights only: the reduced gradient stays for the update
            if second.flags.nonFiniteLoss {
                result.loss = second.loss
                result.flags = second.flags
                return result
            }
            result.flags.stop = second.flags.stop
        }
        if config.train.gradClipNorm > 0 { _ = clipGradientNorm(of: arena, maxNorm: config.train.gradClipNorm) }
        regularization.apply(to: arena)
        optimizer.step()
        ema?.update()
        return result
    }

    /// Zeroed gradients; forward, loss and backward on each of the `train.accumulate_steps`
    /// micro-batches of this rank's rows, their gradients adding up in `arena.grads`; then the
    /// gradient all-reduce with the flags `flags(loss)` (collective) — overlapped with the last
    /// backward pass when buckets are on. No communication before the last micro-batch.
    /// - Returns: the mean loss over the micro-batches (after fault injection), the correct
    ///   predictions of all of them, and the agreed flags.
    func reducedGradients(_ batch: TrainingBatch, step: Int, flags: (Float) -> DistributedSync.ControlFlags) throws
        -> (loss: Float, correct: Int, flags: DistributedSync.ControlFlags) {
        arena.zeroGrads()
        for layer in factored { layer.reset() }
        let parts = batch.microBatches(accumulateSteps)
        var lossSum: Float = 0, correct = 0
        for (m, part) in parts.enumerated() {
            reseedRandomizedLayers(step: step, microBatch: m)
            let output = model(part.inputs)
            let loss = objective.trainingLoss(output, part)
            lossSum += loss.item()
            correct += objective.correct(output, part)
            if m < parts.count - 1 {
                loss.backward(gradient: backwardSeed)
                continue
            }
            var lossValue = lossSum / Float(parts.count)
            if let faultInjection { lossValue = faultInjection.loss(lossValue, step: step, rank: comm.rank) }
            return (lossValue, correct, try backwardAndReduce(loss, flags: flags(lossValue)))
        }
        preconditionFailure("reducedGradients: a batch has at least one micro-batch")
    }

    /// The last backward pass of a step and the gradient all-reduce: in buckets during the pass
    /// (`buckets`), or in one call after it.
    private func backwardAndReduce(_ loss: Tensor, flags local: DistributedSync.ControlFlags) throws
        -> DistributedSync.ControlFlags {
        guard let buckets else {
            loss.backward(gradient: backwardSeed)
            do {
                return try sync.reduceGradients(arena, flags: local)
            } catch let timeout as CollectiveTimeout {
                throw timeout.adding("in the gradient all-reduce")
            }
        }
        let reduction = sync.beginOverlappedReduction(arena, buckets: buckets, factored: factored,
                                                      startsDuringBackward: config.train.overlap, flags: local)
        loss.backward(gradient: backwardSeed, observer: reduction)
        do {
            return try sync.finishReduction(reduction, arena: arena)
        } catch let timeout as CollectiveTimeout {
            let n = buckets.buckets.count, f = factored.count
            let factors = f == 0 ? "" : " and the factors of \(f) layer\(f == 1 ? "" : "s")"
            let when = config.train.overlap ? "overlapped with backward" : "after backward"
            throw timeout.adding("in the gradient all-reduce (\(n) bucket\(n == 1 ? "" : "s")\(factors), \(when))")
        }
    }

    /// Zeroed gradients, then forward, loss and backward on all of this rank's rows at once
    /// (no accumulation, no communication) with the dropout masks of `step`: this rank's
    /// (pre-divided) gradient in `arena.grads`. A test aid: `step` is what training runs.
    /// - Returns: this rank's mean loss (after fault injection) and its correct predictions.
    func forwardBackward(_ batch: TrainingBatch, step: Int) -> (loss: Float, correct: Int) {
        reseedRandomizedLayers(step: step)
        arena.zeroGrads()
        for layer in factored { layer.reset() }
        let output = model(batch.inputs)
        let loss = objective.trainingLoss(output, batch)
        var lossValue = loss.item()
        if let faultInjection { lossValue = faultInjection.loss(lossValue, step: step, rank: comm.rank) }
        let correct = objective.correct(output, batch)
        loss.backward(gradient: backwardSeed)
        for layer in factored { layer.addLocalProduct() }
        return (lossValue, correct)
    }

    /// Dropout masks derived from (seed, step, rank, layer): no generator state to carry
    /// across a resume, and each rank draws different masks for its different samples. With
    /// gradient accumulation, micro-batch m of rank r draws as rank r·K + m would (K =
    /// `train.accumulate_steps`): every micro-batch its own masks, and K = 1 exactly as before.
    func reseedRandomizedLayers(step: Int, microBatch: Int = 0) {
        let stream = UInt64(comm.rank * accumulateSteps + microBatch)
        for (k, layer) in randomized.enumerated() {
            layer.rng = RandomGenerator(seed: config.train.seed, stream: RandomGenerator.Stream.dropout,
                                        UInt64(step), stream, UInt64(k))
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
