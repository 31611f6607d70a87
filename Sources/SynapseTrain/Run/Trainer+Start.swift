import Foundation
import SynapseComm
import SynapseCore
import SynapseNN
import SynapseOptim

extension Trainer {
    /// The model, its parameters, the optimizer and the moving average of this rank's replica.
    public var model: Module { replica.model }
    /// The parameters and gradients of this rank's replica.
    public var arena: ParameterArena { replica.arena }
    /// The replica's optimizer.
    public var optimizer: any Optimizer { replica.optimizer }
    /// The replica's moving average of the weights, or nil.
    public var ema: ExponentialMovingAverage? { replica.ema }
    /// The images of an image run (the programming error of asking a text run stops).
    public var data: TrainingData {
        guard let images = source as? ImageDataSource else { preconditionFailure("Trainer.data: a text run has no images") }
        return images.data
    }

    /// Sharded evaluation of `split` with the weights validation and test score (collective).
    public func evaluate(split: EvaluationSplit) throws -> EvalResult { try replica.evaluate(split, on: source) }

    /// Where a run starts (collective): a resumed run from its checkpoint (rank 0 loads;
    /// parameters, optimizer state and progress are broadcast), a new one from its
    /// pretrained weights if any and then rank 0's weights everywhere (rule 2). Then the
    /// distillation teachers, and the plan on the console.
    func startingPoint(_ resume: URL?, io: CheckpointIO) throws -> (TrainingProgress, WeightsSnapshot?) {
        var state = TrainingProgress(), best: WeightsSnapshot? = nil
        if let resume {
            (state, best) = try io.restore(from: resume)
            replica.scheduler.plateau = state.plateau
            if config.train.gradientExchange == .auto {   // keep the first part's choice (bit-exact resume)
                if let choice = state.gradientExchange, choice.ranks == comm.size {
                    replica.factorWeights(named: choice.factoredWeights)
                } else if state.gradientExchange == nil {
                    replica.factorWeights(named: [])   // written before factors existed: all-reduced
                }
            }
        } else {
            try loadPretrainedWeights()   // a new run only: a resumed one has them in its checkpoint
            try replica.sync.broadcastParameters(arena)
            ema?.restart()
        }
        state.gradientExchange = .init(ranks: comm.size, factoredWeights: replica.factoredWeights)
        try loadTeachers()
        let console = Console(rank: comm.rank)
        if state.step == 0 {
            console.print("training \(model.parameterCount) parameters on \(source.description); "
                          + "\(comm.size) rank(s) × batch \(config.train.batchSize / comm.size) "
                          + "= global batch \(config.train.batchSize); \(totalSteps) steps")
            console.print(memoryEstimate.summary)
            if let frozen = replica.frozenLayers { console.print(frozen.description(ofTotal: model.parameterCount)) }
            if !replica.factoredWeights.isEmpty {
                console.print("the gradients of \(replica.factoredWeights.joined(separator: ", ")) cross the ranks as factors "
                              + "(train.gradient_exchange: \(config.train.gradientExchange.rawValue)): \(replica.floatsSentPerStep) floats "
                              + "per rank per step instead of \(arena.gradsAndControl.count)")
            }
            if let ema {
                console.print("validation and test score the moving average of the weights (ema_decay \(ema.decay))")
            }
            if let sam = replica.sam {
                console.print("sharpness-aware minimization (\(sam.adaptive ? "adaptive, " : "")rho \(sam.rho)): "
                              + "two forward and backward passes per step")
            }
        } else {
            console.print("resumed at step \(state.step) (epoch \(state.epoch + 1), batch \(state.batchInEpoch)) of \(totalSteps)"
                          + (config.model.startsFromPretrainedWeights ? "; model.init_from is not read again: the checkpoint holds the weights" : ""))
        }
        return (state, best)
    }

    /// Loads the distillation teachers (`train.distillation`) and has them score the training
    /// images, unless that is done already or distillation is off; the replica then trains
    /// against them. `run` calls it; call it earlier to find a bad teacher before anything is
    /// written. Collective.
    public func loadTeachers() throws {
        let distillation = config.train.distillation
        guard distillation.isEnabled && !(replica.objective is Distillation) else { return }
        let t0 = Date()
        let teachers = try TeacherPredictions(config: distillation, student: config, data: data, comm: comm)
        replica.objective = Distillation(base: Classification(kind: config.train.loss, labelSmoothing: config.train.labelSmoothing),
                                         teachers: teachers, weight: distillation.weight, temperature: distillation.temperature)
        Console(rank: comm.rank).print("distillation: \(distillation.teachers.count) teacher(s) scored the \(data.trainCount) training images "
                      + "in \(formatDuration(Date().timeIntervalSince(t0))); loss = \(1 - distillation.weight) × cross-entropy + "
                      + "\(distillation.weight) × T²·KL(teacher ‖ student), T = \(distillation.temperature)")
    }

    /// Copies the weights of `model.init_from` into the freshly initialized model, unless that
    /// is done already or the key is not set (collective; see `Replica.loadPretrainedWeights`).
    public func loadPretrainedWeights() throws {
        guard !pretrainedWeightsLoaded else { return }
        try replica.loadPretrainedWeights()
        pretrainedWeightsLoaded = true
    }

    /// The error every rank throws when some rank's loss became non-finite.
    func nonFiniteLoss(_ flags: DistributedSync.ControlFlags, state: TrainingProgress, lastCheckpoint: URL?) -> Error {
        replica.sync.agreed(TrainingFailure("the loss became non-finite (NaN or infinity) at step \(state.step + 1) "
                                            + "(epoch \(state.epoch + 1)) \(flags.nonFiniteRank.map { "on rank \($0)" } ?? "on \(flags.nonFiniteRanks) ranks"); all ranks stopped. The last good checkpoint "
                                            + "\(lastCheckpoint.map { $0.path } ?? "(none yet)") is intact. Lower optimizer.lr or set train.grad_clip_norm."))
    }

    /// A collective that timed out (`train.collective_timeout`), with where in the run it
    /// happened and the checkpoint to resume from. Not agreed by the ranks (some rank never
    /// arrived): the CLI reports it and aborts the job.
    func collectiveTimeout(_ timeout: CollectiveTimeout, state: TrainingProgress, inStep: Bool, lastCheckpoint: URL?) -> Error {
        var error = timeout.adding(inStep ? "at step \(state.step + 1) (epoch \(state.epoch + 1))"
                                          : "after step \(state.step) (epoch \(state.epoch + 1): metrics, validation or a checkpoint)")
        // Only rank 0 writes checkpoints, so only it knows the path of the last one: the one
        // `--resume auto` will take, the newest that verifies. It can be newer than the last one
        // the ranks agreed on, since rank 0 writes a checkpoint completely before the ranks
        // agree that it is saved, and that agreement is where a stopped rank is noticed.
        let last = comm.isRoot
            ? ((try? CheckpointStore.latestValid(in: runDirectory.path)) ?? nil)?.path ?? lastCheckpoint.map { $0.path } ?? "(none yet)"
            : "in \(runDirectory.appendingPathComponent("checkpoints").path)"
        error.advice = "The last good checkpoint \(last) is intact: resume with "
            + "--resume auto once every rank can run, or raise train.collective_timeout if a rank is legitimately that slow."
        return error
    }
}
