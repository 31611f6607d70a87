import Foundation
import SynapseCore

/// `model.init_from`: a new run starts from the weights of a trained model (transfer learning,
/// fine-tuning) instead of from random ones alone.
///
/// The model is first initialized as usual from `train.seed`; then, tensor by tensor of the
/// new model (parameters and batch norm buffers, by their names in model.safetensors):
/// - in the checkpoint's `model.safetensors` under the same name with the same shape → copied
///   exactly;
/// - selected by `model.init_skip` → keeps its fresh initialization (retrain a layer on purpose);
/// - in the checkpoint with another shape (typically the classifier when the number of classes
///   or a hidden width changed) → keeps its fresh initialization, and the console lists it;
/// - not in the checkpoint (a layer the new model adds) → keeps its fresh initialization.
/// Tensors of the checkpoint that the new model lacks are ignored. "Fresh" is exactly what the
/// same config without `init_from` starts with. If not one parameter is copied, the checkpoint
/// is of another model (or of a dataset with another input shape): that is an error, not a
/// silent random start.
///
/// The source is the checkpoint's live weights (`model.safetensors`), also when its run kept a
/// moving average. Its files are verified (sizes and CRC-32s) like a resume's. Only a NEW run
/// reads it: a resumed run continues from its own checkpoint, which already holds the copied
/// and trained weights, so the source may be gone by then.
struct PretrainedWeights {
    /// The checkpoint directory the weights came from.
    let checkpoint: String
    /// The training step that checkpoint was written at.
    let step: Int
    /// Parameters copied from the checkpoint.
    private(set) var copiedParameters: [String] = []
    /// Their number of values.
    private(set) var copiedValues = 0
    /// Buffers (batch norm running statistics) copied from the checkpoint.
    private(set) var copiedBuffers: [String] = []
    /// Tensors in both with different shapes, left fresh.
    private(set) var reshaped: [(name: String, model: [Int], checkpoint: [Int])] = []
    /// Tensors `model.init_skip` kept fresh.
    private(set) var skipped: [String] = []
    /// Tensors the checkpoint does not have, left fresh.
    private(set) var added: [String] = []
    /// Tensors of the checkpoint the model does not have.
    private(set) var unused: [String] = []
    /// Parameters in all.
    private(set) var parameterCount = 0

    /// Reads the checkpoint at `path` (a run directory, checkpoint directory or `latest` link)
    /// and copies what matches into `arena` and `buffers` by the rule above. Everything is
    /// checked before anything is copied, so on error the model is unchanged. No collectives.
    /// - Parameter skip: the `model.init_skip` prefixes.
    init(path: String, skip: [String], into arena: ParameterArena, buffers: [(name: String, tensor: Tensor)]) throws {
        let file: SafeTensorsFile
        let loaded: LoadedCheckpoint
        do {
            loaded = try CheckpointStore.load(path: path)
            file = try loaded.safeTensors("model.safetensors")
        } catch {
            let reason = "\(error)".hasSuffix(".") ? "\(error)" : "\(error)."
            throw UserError("model.init_from: cannot load \(path): \(reason) Set model.init_from to a run or checkpoint "
                            + "directory written by synapse train, or remove it to start from random weights")
        }
        checkpoint = loaded.path
        step = loaded.state.step
        parameterCount = arena.entries.count

        typealias Target = (name: String, shape: [Int], destination: UnsafeMutableBufferPointer<Float>, isParameter: Bool)
        let targets: [Target] = arena.entries.map {
            ($0.name, $0.shape, UnsafeMutableBufferPointer(rebasing: arena.values[$0.offset..<($0.offset + $0.count)]), true)
        } + buffers.map { ($0.name, $0.tensor.shape, $0.tensor.data, false) }
        let skippers = skip.map(ParameterNamePrefix.init(text:))
        var copies: [Target] = []
        var skippedMatches = 0   // parameters init_skip kept back although they fit
        for target in targets {
            guard let info = file.info(named: target.name) else { added.append(target.name); continue }
            if skippers.contains(where: { $0.matches(target.name) }) {
                skipped.append(target.name)
                if target.isParameter && info.shape == target.shape { skippedMatches += 1 }
            } else if info.shape != target.shape {
                reshaped.append((target.name, target.shape, info.shape))
            } else {
                copies.append(target)
            }
        }
        let known = Set(targets.map(\.name))
        unused = file.names.filter { !known.contains($0) }
        guard copies.contains(where: \.isParameter) else {
            throw noMatch(file: file, targets: targets.map { ($0.name, $0.shape) }, skippedMatches: skippedMatches)
        }
        for target in copies {
            try file.read(named: target.name, into: target.destination)
            if target.isParameter {
                copiedParameters.append(target.name)
                copiedValues += target.destination.count
            } else {
                copiedBuffers.append(target.name)
            }
        }
    }

    /// The error for a checkpoint of which no parameter fits the model.
    private func noMatch(file: SafeTensorsFile, targets: [(name: String, shape: [Int])], skippedMatches: Int) -> UserError {
        func listed(_ tensors: [(name: String, shape: [Int])]) -> String {
            let shown = tensors.prefix(4).map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
            return tensors.count > 4 ? shown + ", …" : shown
        }
        let source = file.names.compactMap { name in file.info(named: name).map { (name, $0.shape) } }
        if skippedMatches > 0 {
            return UserError("model.init_from: every parameter that \(checkpoint)/model.safetensors could give this model is "
                             + "excluded by model.init_skip (\(skipped.joined(separator: ", "))), so nothing would be copied; "
                             + "shorten model.init_skip or remove model.init_from")
        }
        return UserError("model.init_from: no parameter of \(checkpoint)/model.safetensors has the name and shape of one of "
                         + "this model's (the checkpoint has \(listed(source)); this model has \(listed(targets))), so it was "
                         + "trained with another model (model.kind, layer sizes) or on data of another input shape. "
                         + "Start from a checkpoint of a model with these layers, or remove model.init_from")
    }

    /// One line for the console: where the weights came from, what was copied, what is fresh and why.
    var summary: String {
        var line = "model.init_from: started from \(checkpoint) (step \(step)): copied \(copiedParameters.count) of "
            + "\(parameterCount) parameter tensors (\(copiedValues) values)"
        if !copiedBuffers.isEmpty { line += " and \(copiedBuffers.count) buffers" }
        var fresh: [String] = reshaped.map { "\($0.name) \($0.model) (checkpoint \($0.checkpoint))" }
        fresh += skipped.map { "\($0) (init_skip)" }
        fresh += added.map { "\($0) (not in the checkpoint)" }
        if !fresh.isEmpty { line += "; fresh init: " + fresh.joined(separator: ", ") }
        if !unused.isEmpty { line += "; unused from the checkpoint: " + unused.joined(separator: ", ") }
        return line
    }
}

extension Replica {
    /// Copies the weights of `model.init_from` into the freshly initialized model (nothing when
    /// the key is not set). Rank 0 reads the checkpoint and prints what was copied; the
    /// parameters and buffers then reach every rank by broadcast, so the ranks need no shared
    /// file system. For a new run only (a resumed one has its weights in its checkpoint).
    /// Collective.
    public func loadPretrainedWeights() throws {
        let source = config.model.initFrom
        guard config.model.startsFromPretrainedWeights else { return }
        let buffers = self.buffers
        let loaded = try sync.agreeOnSuccess("loading model.init_from \(source)") { () throws -> PretrainedWeights? in
            guard comm.isRoot else { return nil }
            return try PretrainedWeights(path: source, skip: config.model.initSkip, into: arena, buffers: buffers)
        }
        try sync.broadcastParameters(arena)
        for (_, tensor) in buffers { try sync.broadcast(tensor.data) }
        if let loaded { Console(rank: comm.rank).print(loaded.summary) }
    }
}
