import Foundation
import SynapseCore
import SynapseNN
import SynapseOptim
import SynapseComm

/// The training loop, and only the loop: every rank runs this same code on its shard
/// (DESIGN.md rules 1–9). The parts it drives each own one thing:
///
/// - `Replica`: the model, its optimizer and recipe, and `step` (forward, backward, the
///   gradient all-reduce with the control flags, update);
/// - `DataSource`: this rank's share of each global batch and of each evaluation;
/// - `TrainingLog`: the training rows of metrics.jsonl/csv (and the TensorBoard event file)
///   and the progress line;
/// - `EpochEndPolicy`: validation, the plateau schedule, early stopping, best weights;
/// - `CheckpointIO`: what a checkpoint holds, written by rank 0.
///
/// Rank 0 alone writes metrics and checkpoints; every collective sits outside those
/// rank-0 branches.
public final class Trainer {
    /// The resolved configuration.
    public let config: Config
    /// The ranks.
    public let comm: any Communicator
    /// Where config.yaml, metrics and checkpoints go.
    public let runDirectory: URL
    /// What this rank holds and how it steps.
    public let replica: Replica
    /// This rank's batches: images (`ImageDataSource`) or text (`TextDataSource`).
    public let source: any DataSource
    /// Set by SIGTERM, SIGUSR1, SIGINT or SIGHUP (or by a test).
    public let stopSignal: StopSignal
    /// Steps in the whole run (the span of the learning-rate schedule).
    public var totalSteps: Int { replica.scheduler.totalSteps }
    private let sync: DistributedSync
    private let console: Console
    /// Whether `loadPretrainedWeights` has copied the weights of `model.init_from` already.
    var pretrainedWeightsLoaded = false
    /// What one rank needs in memory, checked against the machine before the model was built.
    public let memoryEstimate: MemoryEstimate
    /// Where the run starts, once `prepare` has restored or initialized it; `run` takes it.
    private var prepared: (resume: URL?, io: CheckpointIO, state: TrainingProgress, best: WeightsSnapshot?)?

    /// Builds the data, the model and its recipe for `config` on this rank. Throws
    /// `UserError` for anything the user can fix (data files, batch size not divisible by the
    /// rank count ...).
    public init(config: Config, comm: any Communicator, runDirectory: URL, stopSignal: StopSignal,
                data: TrainingData? = nil) throws {
        self.config = config
        self.comm = comm
        self.runDirectory = runDirectory
        self.stopSignal = stopSignal
        self.sync = DistributedSync(comm: comm)
        self.console = Console(rank: comm.rank)
        let run = try RunData(config: config, comm: comm, images: data)
        self.source = run.source
        // Checked before the model is allocated: a model that cannot fit is refused (exit 2).
        let estimate = try MemoryEstimate(config: config, inputShape: run.inputShape, classCount: run.classCount,
                                          ranks: comm.size, dataBytes: run.dataBytes)
        if let available = MachineMemory.available() {
            try estimate.requireFits(available: available, ranksHere: MachineMemory.ranksOnThisMachine(), config: config)
        }
        memoryEstimate = estimate
        self.replica = try run.replica(config, comm: comm, stopSignal: stopSignal)
    }

    /// Everything that can still refuse the run, and nothing that writes (collective): the
    /// same config on every rank, then the starting point — the checkpoint to resume from
    /// restored (its vocabulary, optimizer, shapes and values checked), or the pretrained
    /// weights and rank 0's weights everywhere — and the distillation teachers. `run` calls
    /// it; `TrainingSession` calls it before the run directory is written, so a refused
    /// resume leaves nothing behind.
    public func prepare(resumeFrom resume: URL?) throws {
        if let prepared {
            precondition(prepared.resume == resume, "Trainer.run(resumeFrom: \(resume?.path ?? "nil")) after prepare(resumeFrom: \(prepared.resume?.path ?? "nil"))")
            return
        }
        try sync.checkSameConfig(hash: config.hash)
        let io = CheckpointIO(replica: replica, runDirectory: runDirectory)
        io.tokenizer = (source as? TextDataSource)?.data.tokenizer
        let (state, best) = try startingPoint(resume, io: io)
        prepared = (resume, io, state, best)
    }

    /// Trains until the configured epochs / max_steps, a stop signal, or early stopping.
    /// - Parameter resume: checkpoint to continue from (nil: start fresh).
    public func run(resumeFrom resume: URL?) throws -> TrainingSummary {
        try prepare(resumeFrom: resume)
        guard let start = prepared else { preconditionFailure("Trainer.run: prepare left no starting point") }
        prepared = nil
        let io = start.io
        var state = start.state
        let best = start.best
        let startDate = Date()
        func now() -> Double { Date().timeIntervalSince(startDate) }
        let keepUpToStep = resume == nil ? nil : state.step
        let metrics: MetricsWriter? = try console.isRoot
            ? MetricsWriter(runDirectory: runDirectory, keepUpToStep: keepUpToStep, characterModel: source.predictsText,
                            tensorBoard: config.train.tensorboard
                                ? TensorBoardWriter(runDirectory: runDirectory, keepUpToStep: keepUpToStep, config: config.resolvedYAML(),
                                                    step: state.step, tokens: source.predictsText)
                                : nil)
            : nil
        let epochEnd = EpochEndPolicy(replica: replica, data: source, console: console, metrics: metrics)
        epochEnd.best = best
        let log = TrainingLog(sync: sync, console: console, metrics: metrics, config: config.train, totalSteps: totalSteps,
                              source: source, resumed: resume == nil ? nil : state)
        state.openInterval = nil
        func checkpoint() throws -> URL {
            var p = try log.withOpenInterval(state, now: now())
            p.elapsedBefore = state.elapsedBefore + now()
            p.plateau = replica.scheduler.plateau
            return try io.save(p, best: epochEnd.best)
        }
        var lastCheckpoint = resume   // the last good one, named if the loss turns non-finite
        var stoppedBySignal = false, stoppedEarly = false
        var budgetSpent = replica.scheduler.budgetSpent(trainingSeconds: state.trainSeconds)   // train.max_minutes

        var inStep = false   // for a collective timeout: in a step's all-reduce, or after it
        do {
            while state.step < totalSteps && !budgetSpent {
                if state.batchInEpoch < source.stepsPerEpoch {
                    let batch = try source.trainBatch(epoch: state.epoch, index: state.batchInEpoch)
                    let position = StepPosition(step: state.step, epoch: state.epoch, trainingSeconds: log.trainingSeconds(state, now: now()))
                    inStep = true
                    let result = try replica.step(batch, at: position)
                    inStep = false
                    if result.flags.nonFiniteLoss { throw nonFiniteLoss(result.flags, state: state, lastCheckpoint: lastCheckpoint) }
                    state.step += 1
                    state.batchInEpoch += 1
                    budgetSpent = replica.scheduler.budgetSpent(trainingSeconds: result.flags.trainingSeconds)
                    try log.record(result, state: &state, now: now(), isLast: budgetSpent)
                    if result.flags.stop { stoppedBySignal = true; break }
                    if budgetSpent { break }
                    if config.train.checkpointEvery > 0 && state.step % config.train.checkpointEvery == 0 && state.step < totalSteps {
                        let t0 = now()
                        lastCheckpoint = try checkpoint()
                        log.pause(now() - t0)   // nor is writing a checkpoint
                    }
                }
                if state.batchInEpoch >= source.stepsPerEpoch {
                    state.epoch += 1
                    state.batchInEpoch = 0
                    let t0 = now()
                    stoppedEarly = try epochEnd.epochEnded(&state, elapsed: now)
                    log.pause(now() - t0)   // evaluation time is not training time
                    if stoppedEarly { break }
                    if state.step < totalSteps {
                        let t1 = now()
                        lastCheckpoint = try checkpoint()
                        log.pause(now() - t1)
                    }
                }
            }
        } catch let timeout as CollectiveTimeout {
            throw collectiveTimeout(timeout, state: state, inStep: inStep, lastCheckpoint: lastCheckpoint)
        }

        // The end: always a checkpoint, then the test pass (unless stopped by a signal).
        if stoppedEarly && config.train.earlyStopping.restoreBest { epochEnd.restoreBest() }
        if !stoppedBySignal && !stoppedEarly { try epochEnd.finalValidation(&state, elapsed: now) }
        var summary = TrainingSummary(steps: state.step, epoch: state.epoch + (state.batchInEpoch > 0 ? 1 : 0),
                                      finalVal: state.lastVal, bestVal: state.bestVal, bestEpoch: state.bestEpoch,
                                      test: nil, seconds: now(),
                                      samplesPerSec: state.trainSeconds > 0 ? state.trainSamples / state.trainSeconds : 0,
                                      checkpoint: try checkpoint(), stoppedBySignal: stoppedBySignal, stoppedEarly: stoppedEarly)
        if !stoppedBySignal && source.count(of: .test) > 0 {
            let test = try replica.evaluate(.test, on: source)
            summary.test = test
            try metrics?.append(MetricsRow(step: state.step, epoch: summary.epoch, split: "test", loss: test.loss,
                                           accuracy: test.accuracy, lr: Double(replica.optimizer.learningRate),
                                           samplesPerSec: nil, elapsedSec: state.elapsedBefore + now()))
        }
        return summary
    }
}
