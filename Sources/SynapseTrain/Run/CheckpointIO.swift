import Foundation
import SynapseCore
import SynapseOptim

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
final class CheckpointIO {
    private unowned let trainer: Trainer
    private let runStart: Date
    private var elapsedAtStart = 0.0
    private var best: [Float]? = nil
    /// The module buffers that go with `best`, in `buffers` order.
    private var bestBuffers: [[Float]] = []

    init(trainer: Trainer, runStart: Date) {
        self.trainer = trainer
        self.runStart = runStart
    }

    private var sync: DistributedSync { trainer.sync }
    /// Non-learned state saved with the parameters (batch norm running statistics), by name.
    private var buffers: [(name: String, tensor: Tensor)] { trainer.model.namedBuffers() }
    private var store: CheckpointStore {
        CheckpointStore(runDirectory: trainer.runDirectory.path, keepLast: trainer.config.train.keepCheckpoints)
    }

    /// Writes a checkpoint of the current state (rank 0) and returns its directory.
    @discardableResult
    func save(_ progress: TrainingProgress) throws -> URL {
        var p = progress
        p.elapsedBefore = elapsedAtStart + Date().timeIntervalSince(runStart)
        let path = try sync.agreeOnSuccess("saving the checkpoint at step \(p.step)") { () throws -> String in
            guard trainer.comm.isRoot else { return "" }
            let result = try store.save(step: p.step, files: try files(p), state: state(p))
            for w in result.warnings { Console.warn(w) }
            return result.path
        }
        return URL(fileURLWithPath: path)
    }

    private func state(_ p: TrainingProgress) -> CheckpointState {
        var metrics: [String: Double] = [:]
        if let v = p.lastVal { metrics["val_loss"] = v.loss; metrics["val_accuracy"] = v.accuracy }
        return CheckpointState(step: p.step, epoch: p.epoch, batchInEpoch: p.batchInEpoch,
                               worldSize: trainer.comm.size, configHash: trainer.config.hash,
                               seed: trainer.config.train.seed, metrics: metrics, synapseVersion: SynapseVersion.current)
    }

    private func files(_ p: TrainingProgress) throws -> [String: Data] {
        let arena = trainer.arena, opt = trainer.optimizer
        let params = SafeTensors.entries(of: arena, buffers: buffers)
        let optState = opt.stateTensors.map {
            SafeTensorsEntry(name: $0.name, shape: $0.shape, buffer: UnsafeBufferPointer(start: $0.pointer, count: $0.count))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var out: [String: Data] = [
            "model.safetensors": SafeTensors.encode(params, metadata: ["format": "pt", "producer": "synapse"]),
            "optimizer.safetensors": SafeTensors.encode(optState, metadata: [
                "optimizer": trainer.config.optimizer.name.rawValue, "step_count": String(opt.stepCount)]),
            "progress.json": try encoder.encode(p),
            "config.yaml": Data(trainer.config.resolvedYAML().utf8),
        ]
        if let best {
            out["best.safetensors"] = SafeTensors.encode(snapshotEntries(best, bestBuffers),
                                                         metadata: ["epoch": String(p.bestEpoch ?? 0)])
        }
        if let ema = trainer.ema {
            out["ema.safetensors"] = SafeTensors.encode(snapshotEntries(ema.parameters, ema.buffers),
                                                        metadata: ["decay": String(ema.decay), "updates": String(ema.updates)])
        }
        return out
    }

    /// Safetensors entries for model state held outside the model (the best weights, the
    /// moving average): `values` laid out like the arena, then one array per buffer.
    private func snapshotEntries(_ values: [Float], _ bufferValues: [[Float]]) -> [SafeTensorsEntry] {
        trainer.arena.entries.map {
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
        if values.count != trainer.arena.count { values = [Float](repeating: 0, count: trainer.arena.count) }
        if bufferValues.count != buffers.count { bufferValues = buffers.map { [Float](repeating: 0, count: $0.tensor.count) } }
        try values.withUnsafeMutableBufferPointer { try sync.broadcast($0) }
        for i in bufferValues.indices { try bufferValues[i].withUnsafeMutableBufferPointer { try sync.broadcast($0) } }
    }

    /// Loads `path` on rank 0 and broadcasts parameters, optimizer state and progress, so
    /// every rank continues from exactly the same state.
    func restore(from path: URL) throws -> TrainingProgress {
        let arena = trainer.arena, opt = trainer.optimizer
        // Rank 0 reads and verifies; the others wait for the verdict in agreeOnSuccess.
        let progressJSON: [UInt8] = try sync.agreeOnSuccess("loading checkpoint \(path.path)") {
            guard trainer.comm.isRoot else { return [] }
            let loaded = try CheckpointStore.load(path: path.path)
            try loaded.safeTensors("model.safetensors").readModel(into: arena, buffers: buffers)
            let optFile = try loaded.safeTensors("optimizer.safetensors")
            let saved = optFile.metadata["optimizer"] ?? "?"
            guard saved == trainer.config.optimizer.name.rawValue else {
                throw UserError("checkpoint \(loaded.path) was trained with optimizer '\(saved)' but the config says "
                                + "'\(trainer.config.optimizer.name.rawValue)'; resume with the same optimizer.name or start a new run")
            }
            var tensors: [String: Tensor] = [:]
            for name in optFile.names {
                guard let info = optFile.info(named: name) else { continue }
                tensors[name] = Tensor(shape: info.shape, values: try optFile.floats(named: name))
            }
            try opt.loadState(stepCount: Int(optFile.metadata["step_count"] ?? "") ?? -1, tensors: tensors)
            if loaded.files["best.safetensors"] != nil {
                (best, bestBuffers) = try Self.readSnapshot(try loaded.safeTensors("best.safetensors"), arena: arena, buffers: buffers)
            }
            if let ema = trainer.ema, try !Self.readAverage(of: loaded, into: ema, arena: arena, buffers: buffers) {
                Console.warn("checkpoint \(loaded.path) has no moving average of the weights (it was trained without "
                             + "train.ema_decay); the average starts from the checkpoint's weights")
                ema.restart()
            }
            if loaded.state.worldSize != trainer.comm.size {
                Console.warn("checkpoint was written by \(loaded.state.worldSize) rank(s), resuming on \(trainer.comm.size): "
                             + "each step still sees the same global batch, but results are no longer bit-identical "
                             + "to an uninterrupted run (the all-reduce sums in a different order)")
            }
            if loaded.state.configHash != trainer.config.hash {
                Console.warn("the config differs from the one checkpoint \(loaded.path) was trained with; "
                             + "continuing with the new values")
            }
            guard let json = loaded.files["progress.json"] else {
                throw UserError("checkpoint \(loaded.path) has no progress.json; it was not written by this version of synapse")
            }
            return Array(json)
        }
        // Broadcast the progress record (length first), then the buffers.
        var length = [Double(progressJSON.count)]
        try length.withUnsafeMutableBufferPointer { try trainer.comm.allReduce($0, op: .max) }
        var bytes = trainer.comm.isRoot ? progressJSON : [UInt8](repeating: 0, count: Int(length[0]))
        bytes = try trainer.comm.broadcast(bytes: bytes, root: 0)
        let progress = try JSONDecoder().decode(TrainingProgress.self, from: Data(bytes))
        try sync.broadcastParameters(arena)
        for (_, tensor) in buffers { try sync.broadcast(tensor.data) }
        for buffer in opt.stateBuffers { try sync.broadcast(buffer.values) }
        var scalars = [Double(opt.stepCount), best == nil ? 0 : 1, Double(trainer.ema?.updates ?? 0)]
        try scalars.withUnsafeMutableBufferPointer { try trainer.comm.allReduce($0, op: .max) }
        opt.stepCount = Int(scalars[0])
        if scalars[1] > 0 {
            var values = best ?? []
            try broadcastSnapshot(&values, &bestBuffers)
            best = values
        }
        if let ema = trainer.ema {
            var values = ema.parameters, bufferValues = ema.buffers
            try broadcastSnapshot(&values, &bufferValues)
            ema.load(parameters: values, buffers: bufferValues, updates: Int(scalars[2]))
        }
        elapsedAtStart = progress.elapsedBefore
        return progress
    }

    /// Keeps a copy of the current weights as the best so far (identical on every rank).
    /// With a moving average, that is the average: it is what validation scored.
    func rememberBest() {
        guard trainer.config.train.earlyStopping.isEnabled && trainer.config.train.earlyStopping.restoreBest else { return }
        if let ema = trainer.ema {
            best = ema.parameters
            bestBuffers = ema.buffers
        } else {
            best = Array(trainer.arena.values)
            bestBuffers = buffers.map(\.tensor.scalars)
        }
    }

    /// Puts the best weights back into the model (early stopping with restore_best), and into
    /// the moving average too, so that evaluating the average scores them.
    func restoreBest() {
        guard let best else { return }
        best.withUnsafeBufferPointer { trainer.arena.values.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        for ((_, tensor), values) in zip(buffers, bestBuffers) { tensor.pointer.update(from: values, count: tensor.count) }
        if let ema = trainer.ema { ema.load(parameters: best, buffers: bestBuffers, updates: ema.updates) }
    }
}

/// The version written into checkpoints.
public enum SynapseVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
