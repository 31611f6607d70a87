import SynapseCore

extension SafeTensorsFile {
    /// Loads every parameter of `arena` from the tensor of the same name: a checkpoint goes
    /// straight into the model's parameter buffer, with no intermediate arrays.
    ///
    /// All names and shapes are checked before any value is copied, so on error the arena is
    /// unchanged. Tensors in the file that the model does not have are an error too (a
    /// checkpoint of a different model should not load "successfully").
    public func read(into arena: ParameterArena) throws {
        try read(layout: arena.entries, into: arena.values)
    }

    /// Loads a buffer laid out like a parameter arena (the arena's values, or an optimizer
    /// state buffer such as Adam's first moments) from tensors named `prefix + entry.name`.
    ///
    /// Every entry must be present with exactly its shape, and the file must hold no other
    /// tensor whose name starts with `prefix`; otherwise a `SafeTensorsError` lists the missing,
    /// mismatched or unexpected names and `buffer` is left unchanged.
    public func read(layout: [ParameterArena.Entry], into buffer: UnsafeMutableBufferPointer<Float>,
                     prefix: String = "") throws {
        var missing: [String] = []
        var mismatched: [String] = []
        var sources: [(TensorInfo, ParameterArena.Entry)] = []
        for entry in layout {
            precondition(entry.offset + entry.count <= buffer.count, "read(layout:into:): '\(entry.name)' lies outside the buffer")
            guard let info = info(named: prefix + entry.name) else { missing.append(prefix + entry.name); continue }
            guard info.shape == entry.shape else {
                mismatched.append("'\(info.name)' is \(info.shape) in the file but \(entry.shape) in the model")
                continue
            }
            sources.append((info, entry))
        }
        if !mismatched.isEmpty {
            throw SafeTensorsError(.shapeMismatch, path: path,
                                   "shapes differ from the model's: \(mismatched.prefix(8).joined(separator: "; ")); was this file saved from a different model or config?")
        }
        if !missing.isEmpty {
            throw SafeTensorsError(.missingTensor, path: path,
                                   "the model's \(SafeTensorsFile.list(missing)) \(missing.count == 1 ? "is" : "are") not in the file (it has \(SafeTensorsFile.list(names))); was it saved from a different model?")
        }
        let expected = Set(layout.map { prefix + $0.name })
        let unexpected = names.filter { $0.hasPrefix(prefix) && !expected.contains($0) }
        if !unexpected.isEmpty {
            throw SafeTensorsError(.unexpectedTensors, path: path,
                                   "the file has tensors the model does not: \(SafeTensorsFile.list(unexpected)); was it saved from a different model?")
        }
        for (info, entry) in sources {
            copy(info, into: UnsafeMutableBufferPointer(rebasing: buffer[entry.offset..<(entry.offset + entry.count)]))
        }
    }
}
