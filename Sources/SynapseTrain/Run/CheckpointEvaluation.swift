import Foundation
import SynapseCore
import SynapseComm

extension TrainingSession {
    /// Scores the model saved in `checkpoint` on `split` ("test", "val" or "train") and
    /// returns a one-line report. The checkpoint carries its own config.yaml, so nothing else
    /// is needed; `dataPath` overrides where the data files are.
    public static func evaluate(checkpoint: String, split: String, dataPath: String?,
                                comm: any Communicator) throws -> String {
        guard let which = TrainingData.Split(rawValue: split) else {
            throw UserError("--split \(split): unknown split; use test, val or train")
        }
        let sync = DistributedSync(comm: comm)
        let loaded = try sync.agreeOnSuccess("loading checkpoint \(checkpoint)") {
            try CheckpointStore.load(path: checkpoint)
        }
        var overrides: [String] = []
        if let dataPath { overrides.append("data.path=\(dataPath)") }
        let trained = try sync.agreeOnSuccess("loading the data and building the model") {
            try TrainedModel(loaded, overrides: overrides, comm: comm)
        }
        try trained.requireSamples(in: which, checkpoint: loaded.path)
        let result = try trained.evaluate(which)
        let bits = trained.source.bitsPerCharacter(result.loss, over: .evaluation(which)).map { String(format: " (%.4f bits/char)", $0) }
        return String(format: "%@ %@: loss %.4f%@  accuracy %.2f %%  (%d samples, step %d%@)",
                      loaded.path as NSString, which.rawValue as NSString, result.loss, (bits ?? "") as NSString, 100 * result.accuracy,
                      result.samples, loaded.state.step,
                      (trained.replica.ema == nil ? "" : ", moving average of the weights") as NSString)
    }
}

/// A trained model rebuilt from one of its checkpoints, to score or to predict: the model
/// of the checkpoint's own config.yaml (with overrides) holding the saved weights, and for a
/// `train.ema_decay` run the saved moving average, which evaluation then scores, as training
/// did; with the data it was trained on, sharded over the ranks of `comm`.
public final class TrainedModel {
    /// The checkpoint's config with the overrides.
    public let config: Config
    /// The replica holding the saved weights.
    public let replica: Replica
    /// This rank's share of the run's data for evaluation.
    public let source: any DataSource
    /// The images of an image model (the programming error of asking a text model stops).
    public var data: TrainingData {
        guard let images = source as? ImageDataSource else { preconditionFailure("TrainedModel.data: a text model has no images") }
        return images.data
    }

    /// Rebuilds the model of `loaded`. No collectives: wrap it in `agreeOnSuccess`.
    /// - Parameters:
    ///   - loaded: the checkpoint, read and checked.
    ///   - overrides: `--set` overrides applied to the checkpoint's config (e.g. the data path).
    ///   - comm: the ranks that evaluate together.
    ///   - data: the data to use instead of loading the config's own (it must be
    ///     the same split and normalization).
    public init(_ loaded: LoadedCheckpoint, overrides: [String], comm: any Communicator, data: TrainingData? = nil) throws {
        guard let yaml = loaded.files["config.yaml"] else {
            throw UserError("checkpoint \(loaded.path) has no config.yaml; it was not written by `synapse train`")
        }
        config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self), source: loaded.path + "/config.yaml",
                                        overrides: overrides)
        if config.data.dataset == .text {
            var single = config
            single.train.batchSize = comm.size   // only evaluates: any batch that divides
            let text = try TextData(config: single)
            try CheckpointIO.requireSameTokenizer(text.tokenizer, as: loaded)
            source = try TextDataSource(data: text, config: single, comm: comm)
            replica = try Replica(config: config, inputShape: [], classCount: text.tokenizer.count, comm: comm)
        } else {
            let images = try data ?? TrainingData(config: config)
            source = ImageDataSource(data: images, globalBatch: comm.size, rank: comm.rank, worldSize: comm.size)
            replica = try Replica(config: config, inputShape: images.imageShape, classCount: images.classCount, comm: comm)
        }
        try Self.readWeights(of: loaded, into: replica)
    }

    /// Reads the weights of `loaded` into `replica`, and for a `train.ema_decay` run their saved
    /// moving average into `replica.ema` (which `withEvaluatedWeights` then swaps in).
    /// - Throws: `CheckpointError` for a missing or damaged tensor; `UserError` when the run kept
    ///   an average the checkpoint lacks.
    public static func readWeights(of loaded: LoadedCheckpoint, into replica: Replica) throws {
        try loaded.safeTensors("model.safetensors").readModel(into: replica.arena, buffers: replica.buffers)
        if let ema = replica.ema,
           try !CheckpointIO.readAverage(of: loaded, into: ema, arena: replica.arena, buffers: replica.buffers) {
            throw UserError("checkpoint \(loaded.path) has no ema.safetensors although its config.yaml sets "
                            + "train.ema_decay = \(ema.decay); it is incomplete (copy the whole checkpoint directory) "
                            + "or was not written by synapse train")
        }
    }

    /// The model `trainer` holds now, with its data.
    public init(of trainer: Trainer) {
        config = trainer.config
        replica = trainer.replica
        source = trainer.source
    }

    /// Throws `UserError` when `split` holds no samples (no validation split was held out, a
    /// text run's test split), instead of scoring nothing as "0.00 %". The same on every rank.
    public func requireSamples(in split: EvaluationSplit, checkpoint: String) throws {
        guard source.count(of: split) == 0 else { return }
        let text = config.data.dataset == .text
        switch split {
        case .validation:
            let key = text ? "data.validation_fraction" : "data.validation_size"
            throw UserError("the run of \(checkpoint) has no validation split (its config.yaml sets \(key) to 0), so "
                            + "--split val has nothing to score. Score --split test (or train), or train with a validation "
                            + "split, e.g. synapse train CONFIG --set \(key)=\(text ? "0.1" : "5000")")
        case .test:
            throw UserError("the run of \(checkpoint) has no test samples"
                            + (text ? " (a text run holds out only a validation split): use --split val"
                                    : " (check data.test_subset and the test files under data.path): use --split val or train"))
        case .train:
            throw UserError("the run of \(checkpoint) has no training samples to score; check data.path and data.train_subset")
        }
    }

    /// Sharded evaluation of `split` (collective), as training scored it.
    public func evaluate(_ split: EvaluationSplit) throws -> EvalResult { try replica.evaluate(split, on: source) }
}
