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
        guard let yaml = loaded.files["config.yaml"] else {
            throw UserError("checkpoint \(loaded.path) has no config.yaml; it was not written by `synapse train`")
        }
        let configPath = loaded.path + "/config.yaml"
        var overrides: [String] = []
        if let dataPath { overrides.append("data.path=\(dataPath)") }
        let config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self), source: configPath,
                                           overrides: overrides)
        let trainer = try sync.agreeOnSuccess("loading the data and building the model") {
            try Trainer(config: config, comm: comm, runDirectory: URL(fileURLWithPath: loaded.path),
                        stopSignal: StopSignal(signals: []))
        }
        try loaded.safeTensors("model.safetensors").readModel(into: trainer.arena, buffers: trainer.model.namedBuffers())
        // Trained with train.ema_decay: score the average, as training did.
        if let ema = trainer.ema,
           try !CheckpointIO.readAverage(of: loaded, into: ema, arena: trainer.arena, buffers: trainer.model.namedBuffers()) {
            throw UserError("checkpoint \(loaded.path) has no ema.safetensors although its config.yaml sets "
                            + "train.ema_decay = \(ema.decay); it is incomplete (copy the whole checkpoint directory) "
                            + "or was not written by synapse train")
        }
        let result = try trainer.evaluate(split: which)
        return String(format: "%@ %@: loss %.4f  accuracy %.2f %%  (%d samples, step %d%@)",
                      loaded.path as NSString, which.rawValue as NSString, result.loss, 100 * result.accuracy,
                      result.samples, loaded.state.step,
                      (trainer.ema == nil ? "" : ", moving average of the weights") as NSString)
    }
}
