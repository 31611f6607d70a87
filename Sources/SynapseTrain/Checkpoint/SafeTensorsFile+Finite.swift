extension SafeTensorsFile {
    /// How many of `values` are NaN or ±∞: the one count `synapse inspect` shows in its
    /// non-finite column and every load checks (`requireFinite`).
    public static func nonFiniteCount<C: Collection>(in values: C) -> Int where C.Element == Float {
        var count = 0
        for v in values where !v.isFinite { count += 1 }
        return count
    }

    /// The tensors that hold a NaN or ±∞, with how many of their values do, in file order.
    public func nonFiniteTensors() throws -> [(name: String, nonFinite: Int, count: Int)] {
        try tensors.compactMap { info -> (name: String, nonFinite: Int, count: Int)? in
            let bad = Self.nonFiniteCount(in: try floats(named: info.name))
            return bad > 0 ? (info.name, bad, info.count) : nil
        }
    }

    /// Throws `SafeTensorsError(.nonFinite)` naming every tensor that holds a NaN or ±∞.
    ///
    /// Weights with a NaN give no error of their own: ReLU passes it on, the loss becomes NaN
    /// at the first step of a run started from them, and an evaluation scores garbage. So
    /// every checkpoint file a model, optimizer, moving average or best-weights snapshot is
    /// read from is checked when it is opened (`LoadedCheckpoint.safeTensors`).
    public func requireFinite() throws {
        let bad = try nonFiniteTensors()
        guard !bad.isEmpty else { return }
        let listed = bad.prefix(8).map { "'\($0.name)' (\($0.nonFinite) of \($0.count) values)" }.joined(separator: ", ")
            + (bad.count > 8 ? ", … (\(bad.count) tensors in all)" : "")
        throw SafeTensorsError(.nonFinite, path: path,
                               "\(bad.count == 1 ? "tensor" : "\(bad.count) tensors") \(listed) \(bad.count == 1 ? "holds" : "hold") "
                               + "NaN or infinite values, so the run had diverged when this was saved; it was not loaded. "
                               + "Use an earlier checkpoint of the run (`synapse inspect RUN_DIR` lists them; each tensor's "
                               + "non-finite count is in its table) or train again with a lower optimizer.lr or train.grad_clip_norm")
    }
}
