import SynapseCore

extension TrainingBatch {
    /// This batch cut into `k` micro-batches of equal size for gradient accumulation
    /// (`train.accumulate_steps`): rows `m·B/k ..< (m+1)·B/k` of the inputs, with their targets
    /// and sample indices. The batch itself when `k` is 1.
    ///
    /// - Shape: inputs [B, ...] → k × [B/k, ...]; targets [B·P] → k × [B/k·P] (P predictions
    ///   per row: 1 for images, T for text windows, whose targets are row-major).
    /// - Precondition: `k` divides B (checked for the user by `requireDivisibleBatch`).
    func microBatches(_ k: Int) -> [TrainingBatch] {
        guard k > 1 else { return [self] }
        let rows = inputs.shape[0]
        precondition(rows % k == 0 && targets.count % k == 0,
                     "microBatches: \(rows) rows (\(targets.count) targets) do not divide into \(k) micro-batches")
        let rowsEach = rows / k, rowFloats = inputs.count / max(rows, 1), targetsEach = targets.count / k
        let samplesEach = samples.count / k
        return (0..<k).map { m in
            let part = Tensor(uninitializedShape: [rowsEach] + inputs.shape.dropFirst())
            part.pointer.update(from: inputs.pointer + m * rowsEach * rowFloats, count: rowsEach * rowFloats)
            let start = samples.startIndex + m * samplesEach
            return TrainingBatch(inputs: part, targets: Array(targets[(m * targetsEach)..<((m + 1) * targetsEach)]),
                                 samples: samples.isEmpty ? [] : samples[start..<(start + samplesEach)])
        }
    }
}
