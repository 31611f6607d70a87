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
        let trainer = try sync.agreeOnSuccess("loading the data and building the model") {
            try Trainer(rebuiltFrom: loaded, overrides: overrides, comm: comm)
        }
        let result = try trainer.evaluate(split: which)
        return String(format: "%@ %@: loss %.4f  accuracy %.2f %%  (%d samples, step %d%@)",
                      loaded.path as NSString, which.rawValue as NSString, result.loss, 100 * result.accuracy,
                      result.samples, loaded.state.step,
                      (trainer.ema == nil ? "" : ", moving average of the weights") as NSString)
    }
}

extension Trainer {
    /// The trainer of a run, rebuilt from one of its checkpoints to score or to predict: the
    /// model of the checkpoint's own config.yaml (with `overrides`) holding the saved weights,
    /// and for a `train.ema_decay` run the saved moving average, which `evaluate` and
    /// `withEvaluatedWeights` then use, as training did. No collectives: wrap it in
    /// `agreeOnSuccess`.
    /// - Parameter data: the data to use instead of loading the config's own (it must be
    ///   the same split and normalization).
    convenience init(rebuiltFrom loaded: LoadedCheckpoint, overrides: [String], comm: any Communicator,
                     data: TrainingData? = nil) throws {
        guard let yaml = loaded.files["config.yaml"] else {
            throw UserError("checkpoint \(loaded.path) has no config.yaml; it was not written by `synapse train`")
        }
        let config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self), source: loaded.path + "/config.yaml",
                                           overrides: overrides)
        try self.init(config: config, comm: comm, runDirectory: URL(fileURLWithPath: loaded.path),
                      stopSignal: StopSignal(signals: []), data: data)
        try loaded.safeTensors("model.safetensors").readModel(into: arena, buffers: model.namedBuffers())
        if let ema, try !CheckpointIO.readAverage(of: loaded, into: ema, arena: arena, buffers: model.namedBuffers()) {
            throw UserError("checkpoint \(loaded.path) has no ema.safetensors although its config.yaml sets "
                            + "train.ema_decay = \(ema.decay); it is incomplete (copy the whole checkpoint directory) "
                            + "or was not written by synapse train")
        }
    }
}
