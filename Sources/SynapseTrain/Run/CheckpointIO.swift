import Foundation
import SynapseCore
import SynapseOptim
import SynapseComm
import SynapseData

extension CheckpointError: UserFacingError {}
extension SafeTensorsError: UserFacingError {}
extension OptimizerStateError: UserFacingError {}

/// Saves and restores everything a run needs to continue bit-exactly, in the checkpoint
/// layout of `CheckpointStore`:
///
/// - `model.safetensors`: the parameters and the module buffers (batch norm's
///   `bn1.running_mean`, ...) by name, like PyTorch's `state_dict`, loadable by numpy or
///   PyTorch's safetensors readers;
/// - `optimizer.safetensors`: optimizer state by name (`fc1.weight.momentum_buffer`, ...),
///   its step count in the metadata;
/// - `progress.json`: step, epoch, sampler position, validation history (`TrainingProgress`);
/// - `config.yaml`: the resolved config, so a checkpoint can be evaluated on its own;
/// - `best.safetensors`: the best weights (and buffers) so far, when early stopping may
///   restore them;
/// - `ema.safetensors`: the moving average of the weights and buffers (`train.ema_decay`),
///   its update count in the metadata;
/// - `state.json`: written last by the store, with sizes and CRC-32s of all of the above.
///
/// Rank 0 reads and writes files; the values reach the other ranks by broadcast, so the
/// ranks need no shared file system. Each save/restore is collective: all ranks call it.
/// It is handed what it saves (the arena, the module buffers, the optimizer, the moving
/// average; the progress and best weights at each save) and knows nothing of the loop.
final class CheckpointIO {
    private let comm: any Communicator
    private let sync: DistributedSync
    private let config: Config
    private let arena: ParameterArena
    /// Non-learned state saved with the parameters (batch norm running statistics), by name.
    private let buffers: [(name: String, tensor: Tensor)]
    private let optimizer: any Optimizer
    private let ema: ExponentialMovingAverage?
    private let store: CheckpointStore
    /// A text run's tokenizer: saved as tokenizer.json, and on resume the checkpoint's must
    /// be this one (the corpus must not have changed its characters or merges, or ids would
    /// mean other text).
    var tokenizer: TextTokenizer?

    /// Saves and restores `replica`'s state in the checkpoints of `runDirectory`.
    convenience init(replica: Replica, runDirectory: URL) {
        self.init(arena: replica.arena, buffers: replica.buffers, optimizer: replica.optimizer, ema: replica.ema,
                  config: replica.config, comm: replica.comm, runDirectory: runDirectory)
    }

    init(arena: ParameterArena, buffers: [(name: String, tensor: Tensor)], optimizer: any Optimizer,
         ema: ExponentialMovingAverage?, config: Config, comm: any Communicator, runDirectory: URL) {
        self.arena = arena
        self.buffers = buffers
        self.optimizer = optimizer
        self.ema = ema
        self.config = config
        self.comm = comm
        self.sync = DistributedSync(comm: comm)
        self.store = CheckpointStore(runDirectory: runDirectory.path, keepLast: config.train.keepCheckpoints)
    }

/// Writes a checkpoint of the current state (rank 0) and returns its directory.
    /// - Parameter best: early stopping's best weights, saved beside the current ones.
    @discardableResult
    func save(_ p: TrainingProgress, best: WeightsSnapshot?) throws -> URL {
        let path = try sync.agreeOnSuccess("saving the checkpoint at step \(p.step)") { () throws -> String in
            guard comm.isRoot else { return "" }
            let result = try store.save(step: p.step, files: try files(p, best: best), state: state(p))
            for w in result.warnings { Console.warn(w) }
            return result.path
        }
        return URL(fileURLWithPath: path)
    }

    private func state(_ p: TrainingProgress) -> CheckpointState {
        var metrics: [String: Double] = [:]
        if let v = p.lastVal { metrics["val_loss"] = v.loss; metrics["val_accuracy"] = v.accuracy }
        return CheckpointState(step: p.step, epoch: p.epoch, batchInEpoch: p.batchInEpoch,
                               worldSize: comm.size, configHash: config.hash,
                               seed: config.train.seed, metrics: metrics, synapseVersion: SynapseVersion.current)
    }

    private func files(_ p: TrainingProgress, best: WeightsSnapshot?) throws -> [String: Data] {
        let opt = optimizer
        let params = SafeTensors.entries(of: arena, buffers: buffers)
        let optState = opt.stateTensors.map {
            SafeTensorsEntry(name: $0.name, shape: $0.shape, buffer: UnsafeBufferPointer(start: $0.pointer, count: $0.count))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var out: [String: Data] = [
            "model.safetensors": SafeTensors.encode(params, metadata: ["format": "pt", "producer": "synapse"]),
            "optimizer.safetensors": SafeTensors.encode(optState, metadata: [
                "optimizer": config.optimizer.name.rawValue, "step_count": String(opt.stepCount)]),
            "progress.json": try encoder.encode(p),
            "config.yaml": Data(config.resolvedYAML().utf8),
        ]
        if let best {
            out["best.safetensors"] = SafeTensors.encode(snapshotEntries(best.values, best.buffers),
                                                         metadata: ["epoch": String(p.bestEpoch ?? 0)])
        }
        if let tokenizer {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            out["tokenizer.json"] = try encoder.encode(tokenizer)
        }
        if let ema {
            out["ema.safetensors"] = SafeTensors.encode(snapshotEntries(ema.parameters, ema.buffers),
                                                        metadata: ["decay": String(ema.decay), "updates": String(ema.updates)])
        }
        return out
    }

    /// Safetensors entries for model state held outside the model (the best weights, the
    /// moving average): `values` laid out like the arena, then one array per buffer.
    private func snapshotEntries(_ values: [Float], _ bufferValues: [[Float]]) -> [SafeTensorsEntry] {
        arena.entries.map {
            SafeTensorsEntry(name: $0.name, shape: $0.shape, values: Array(values[$0.offset..<($0.offset + $0.count)]))
        } + zip(buffers, bufferValues).map { SafeTensorsEntry(name: $0.0.name, shape: $0.0.tensor.shape, values: $0.1) }
    }

    /// Reads what `snapshotEntries` wrote, checking every name and shape against the model.
    static func readSnapshot(_ file: SafeTensorsFile, arena: ParameterArena,
                             buffers: [(name: String, tensor: Tensor)]) throws -> (values: [Float], buffers: [[Float]]) {
        let scratch = buffers.map { (name: $0.name, tensor: Tensor(shape: $0.tensor.shape, repeating: 0)) }
        var values = [Float](repeating: 0, count: arena.count)
        try values.withUnsafeMutableBufferPointer { try file.readModel(layout: arena.entries, into: $0, buffers: scratch) }
        return (values, scratch.map(\.tensor.scalars))
    }

    /// Loads the checkpoint's `ema.safetensors` into `ema`; false when the checkpoint has none.
    static func readAverage(of loaded: LoadedCheckpoint, into ema: ExponentialMovingAverage, arena: ParameterArena,
                            buffers: [(name: String, tensor: Tensor)]) throws -> Bool {
        guard loaded.files["ema.safetensors"] != nil else { return false }
        let file = try loaded.safeTensors("ema.safetensors")
        let average = try readSnapshot(file, arena: arena, buffers: buffers)
        ema.load(parameters: average.values, buffers: average.buffers, updates: Int(file.metadata["updates"] ?? "") ?? 0)
        return true
    }

    /// Rank 0's snapshot on every rank (the other ranks pass anything of the right sizes).
    private func broadcastSnapshot(_ values: inout [Float], _ bufferValues: inout [[Float]]) throws {
        if values.count != arena.count { values = [Float](repeating: 0, count: arena.count) }
        if bufferValues.count != buffers.count { bufferValues = buffers.map { [Float](repeating: 0, count: $0.tensor.count) } }
        try values.withUnsafeMutableBufferPointer { try sync.broadcast($0) }
        for i in bufferValues.indices { try bufferValues[i].withUnsafeMutableBufferPointer { try sync.broadcast($0) } }
    }

    /// Loads `path` on rank 0 and broadcasts parameters, optimizer state, the moving average
    /// and progress, so every rank continues from exactly the same state.
    /// - Returns: the progress, and early stopping's best weights if the checkpoint has them.
    func restore(from path: URL) throws -> (progress: TrainingProgress, best: WeightsSnapshot?) {
        var best: WeightsSnapshot? = nil
        // Rank 0 reads and verifies; the others wait for the verdict in agreeOnSuccess.
        let progressJSON: [UInt8] = try sync.agreeOnSuccess("loading checkpoint \(path.path)") {
            guard comm.isRoot else { return [] }
            let loaded = try CheckpointStore.load(path: path.path)
            try checkTokenizer(of: loaded)   // first: another vocabulary also means other shapes
            try loaded.safeTensors("model.safetensors").readModel(into: arena, buffers: buffers)
            try readOptimizerState(of: loaded)
            if loaded.files["best.safetensors"] != nil {
                let (values, bufferValues) = try Self.readSnapshot(try loaded.safeTensors("best.safetensors"), arena: arena, buffers: buffers)
                best = WeightsSnapshot(values: values, buffers: bufferValues)
            }
            if let ema, try !Self.readAverage(of: loaded, into: ema, arena: arena, buffers: buffers) {
                Console.warn("checkpoint \(loaded.path) has no moving average of the weights (it was trained without "
                             + "train.ema_decay); the average starts from the checkpoint's weights")
                ema.restart()
            }
            warnAboutDifferences(loaded)
            guard let json = loaded.files["progress.json"] else {
                throw UserError("checkpoint \(loaded.path) has no progress.json; it was not written by this version of synapse")
            }
            return Array(json)
        }
        // Broadcast the progress record (length first), then the buffers.
        var length = [Double(progressJSON.count)]
        try length.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
        var bytes = comm.isRoot ? progressJSON : [UInt8](repeating: 0, count: Int(length[0]))
        bytes = try comm.broadcast(bytes: bytes, root: 0)
        let progress = try TrainingProgress.decode(json: Data(bytes), source: path.path)
        try sync.broadcastParameters(arena)
        for (_, tensor) in buffers { try sync.broadcast(tensor.data) }
        for buffer in optimizer.stateBuffers { try sync.broadcast(buffer.values) }
        var scalars = [Double(optimizer.stepCount), best == nil ? 0 : 1, Double(ema?.updates ?? 0)]
        try scalars.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
        optimizer.stepCount = Int(scalars[0])
        if scalars[1] > 0 {
            var values = best?.values ?? [], bufferValues = best?.buffers ?? []
            try broadcastSnapshot(&values, &bufferValues)
            best = WeightsSnapshot(values: values, buffers: bufferValues)
        }
        if let ema {
            var values = ema.parameters, bufferValues = ema.buffers
            try broadcastSnapshot(&values, &bufferValues)
            ema.load(parameters: values, buffers: bufferValues, updates: Int(scalars[2]))
        }
        return (progress, best)
    }

    /// Reads optimizer.safetensors into the optimizer, refusing another optimizer's state.
    private func readOptimizerState(of loaded: LoadedCheckpoint) throws {
        let optFile = try loaded.safeTensors("optimizer.safetensors")
        let saved = optFile.metadata["optimizer"] ?? "?"
        guard saved == config.optimizer.name.rawValue else {
            throw UserError("checkpoint \(loaded.path) was trained with optimizer '\(saved)' but the config says "
                            + "'\(config.optimizer.name.rawValue)'; resume with the same optimizer.name or start a new run")
        }
        var tensors: [String: Tensor] = [:]
        for name in optFile.names {
            guard let info = optFile.info(named: name) else { continue }
            tensors[name] = Tensor(shape: info.shape, values: try optFile.floats(named: name))
        }
        try optimizer.loadState(stepCount: Int(optFile.metadata["step_count"] ?? "") ?? -1, tensors: tensors)
    }

    /// A text run resumes only on a corpus with exactly the checkpoint's characters.
    private func checkTokenizer(of loaded: LoadedCheckpoint) throws {
        guard let tokenizer else { return }
        try Self.requireSameTokenizer(tokenizer, as: loaded)
    }

    /// Throws unless `tokenizer` (built from the corpus now) is the one `loaded` was trained
    /// with: another kind, a character it lacks, one fewer (every id would shift), or other
    /// byte-pair merges is a user error.
    static func requireSameTokenizer(_ tokenizer: TextTokenizer, as loaded: LoadedCheckpoint) throws {
        guard let json = loaded.files["tokenizer.json"],
              let saved = try? JSONDecoder().decode(TextTokenizer.self, from: json) else {
            throw UserError("checkpoint \(loaded.path) has no readable tokenizer.json, so it is not a text model's checkpoint; "
                            + "resume it with the config it was trained with")
        }
        switch (saved, tokenizer) {
        case (.characters(let saved), .characters(let tokenizer)):
            try saved.requireCovers(tokenizer, source: "the corpus (data.path)")
            guard saved == tokenizer else {
                throw UserError("the corpus (data.path) lacks \(saved.count - tokenizer.count) of the \(saved.count) characters "
                                + "of checkpoint \(loaded.path)'s vocabulary, so every token id would shift; resume with the corpus "
                                + "the run was trained on")
            }
        case (.bytePairs(let saved), .bytePairs(let tokenizer)):
            guard saved == tokenizer else {
                let k = zip(saved.merges, tokenizer.merges).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(saved.merges.count, tokenizer.merges.count)
                throw UserError("the byte-pair merges learned now (\(tokenizer.count) tokens) differ from those of checkpoint "
                                + "\(loaded.path) (\(saved.count) tokens) from merge \(k) on, so token ids would mean other text: "
                                + "the corpus (data.path), data.validation_fraction or data.vocab_size changed; resume with "
                                + "those the run was trained with")
            }
        default:
            func name(_ t: TextTokenizer) -> String {
                switch t {
                case .characters: return DataConfig.Tokenizer.char.rawValue
                case .bytePairs: return DataConfig.Tokenizer.bpe.rawValue
                }
            }
            throw UserError("checkpoint \(loaded.path) was trained with data.tokenizer \(name(saved)) (\(saved.summary)), "
                            + "but the config asks for \(name(tokenizer)); resume with data.tokenizer: \(name(saved)), "
                            + "or start a new run")
        }
    }

    /// Warns when the run resumes on another rank count or with another config.
    private func warnAboutDifferences(_ loaded: LoadedCheckpoint) {
        if loaded.state.worldSize != comm.size {
            Console.warn("checkpoint was written by \(loaded.state.worldSize) rank(s), resuming on \(comm.size): "
                         + "each step still sees the same global batch, but results are no longer bit-identical "
                         + "to an uninterrupted run (the all-reduce sums in a different order)")
        }
        if loaded.state.configHash != config.hash {
            Console.warn("the config differs from the one checkpoint \(loaded.path) was trained with; "
                         + "continuing with the new values")
        }
    }
}

/// The version written into checkpoints.
public enum SynapseVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
