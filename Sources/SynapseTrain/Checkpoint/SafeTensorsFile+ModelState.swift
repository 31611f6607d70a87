import SynapseCore

extension SafeTensors {
    /// Entries for a model's state: every parameter of `arena`, then every buffer, by name
    /// (what PyTorch's `state_dict` holds). The buffers must stay alive until encoding.
    static func entries(of arena: ParameterArena, buffers: [(name: String, tensor: Tensor)]) -> [SafeTensorsEntry] {
        entries(of: arena)
            + buffers.map { SafeTensorsEntry(name: $0.name, shape: $0.tensor.shape, buffer: UnsafeBufferPointer($0.tensor.data)) }
    }
}

extension SafeTensorsFile {
    /// Loads a model's state: every parameter into `arena` and every buffer (batch norm
    /// running statistics, ...) into its tensor, by name, as PyTorch's `load_state_dict`.
    func readModel(into arena: ParameterArena, buffers: [(name: String, tensor: Tensor)]) throws {
        try readModel(layout: arena.entries, into: arena.values, buffers: buffers)
    }

    /// Loads parameters laid out like an arena (`layout` in `values`) and `buffers`, by name.
    ///
    /// Every name must be in the file with exactly its shape, and the file must hold nothing
    /// else; all of it is checked before any value is copied, so on error nothing changes.
    /// (The arena's own `read(layout:into:)` would call the buffers unexpected tensors.)
    func readModel(layout: [ParameterArena.Entry], into values: UnsafeMutableBufferPointer<Float>,
                   buffers: [(name: String, tensor: Tensor)]) throws {
        let wanted = layout.map { (name: $0.name, shape: $0.shape,
                                   destination: UnsafeMutableBufferPointer(rebasing: values[$0.offset..<($0.offset + $0.count)])) }
            + buffers.map { (name: $0.name, shape: $0.tensor.shape, destination: $0.tensor.data) }
        var missing: [String] = []
        var mismatched: [String] = []
        for w in wanted {
            guard let info = info(named: w.name) else { missing.append(w.name); continue }
            if info.shape != w.shape { mismatched.append("'\(w.name)' is \(info.shape) in the file but \(w.shape) in the model") }
        }
        if !mismatched.isEmpty {
            throw SafeTensorsError(.shapeMismatch, path: path,
                                   "shapes differ from the model's: \(mismatched.prefix(8).joined(separator: "; ")); was this file saved from a different model or config?")
        }
        if !missing.isEmpty {
            throw SafeTensorsError(.missingTensor, path: path,
                                   "the model's \(SafeTensorsFile.list(missing)) \(missing.count == 1 ? "is" : "are") not in the file (it has \(SafeTensorsFile.list(names))); was it saved from a different model, or by a version that did not save buffers?")
        }
        let expected = Set(wanted.map(\.name))
        let unexpected = names.filter { !expected.contains($0) }
        if !unexpected.isEmpty {
            throw SafeTensorsError(.unexpectedTensors, path: path,
                                   "the file has tensors the model does not: \(SafeTensorsFile.list(unexpected)); was it saved from a different model?")
        }
        for w in wanted { try read(named: w.name, into: w.destination) }
    }
}
