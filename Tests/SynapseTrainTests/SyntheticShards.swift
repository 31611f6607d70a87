import SynapseCore
@testable import SynapseTrain

/// Deterministic synthetic global batches sharded as the real sources shard them: global batch
/// k is drawn from (seed, k) alone, and rank r of S takes its rows r, r + S, …, so a global
/// batch holds the same rows on any number of ranks. Feature rows with class labels, or token
/// windows [B, T] with a next token per position.
final class SyntheticShards: DataSource {
    enum Kind {
        case features(Int, classes: Int)
        case tokens(vocabulary: Int, context: Int)
    }
    let kind: Kind
    let globalBatch: Int, rank: Int, worldSize: Int

    init(_ kind: Kind, globalBatch: Int, rank: Int, worldSize: Int) {
        (self.kind, self.globalBatch, self.rank, self.worldSize) = (kind, globalBatch, rank, worldSize)
    }

    /// The model input shape and output count for `Replica(config:inputShape:classCount:)`.
    var inputShape: [Int] { if case .features(let n, _) = kind { [n] } else { [] } }
    var classCount: Int {
        switch kind {
        case .features(_, let classes): classes
        case .tokens(let vocabulary, _): vocabulary
        }
    }

    var stepsPerEpoch: Int { 1_000 }
    var predictionsPerStep: Int { globalBatch }
    var description: String { "synthetic" }
    func count(of split: EvaluationSplit) -> Int { 0 }
    func forEachEvalBatch(split: EvaluationSplit, batchSize: Int, _ body: (TrainingBatch) throws -> Void) throws {}

    /// - Shape: inputs [G/S, features] or [G/S, T]; targets [G/S] or [G/S · T].
    func trainBatch(epoch: Int, index: Int) throws -> TrainingBatch {
        var rng = RandomGenerator(seed: 11, stream: 77, UInt64(epoch), UInt64(index))
        let rows = stride(from: rank, to: globalBatch, by: worldSize).map { $0 }
        switch kind {
        case .features(let n, let classes):
            var all: [[Float]] = [], labels: [Int32] = []
            for _ in 0..<globalBatch {
                let x = (0..<n).map { _ in rng.nextUniform(-1, 1) }
                all.append(x)
                labels.append(Int32((x[0] * x[1] > 0 ? 1 : 0) + (x[2] > 0.5 ? 1 : 0)) % Int32(classes))
            }
            return TrainingBatch(inputs: Tensor(shape: [rows.count, n], values: rows.flatMap { all[$0] }),
                                 targets: rows.map { labels[$0] })
        case .tokens(let vocabulary, let context):
            let windows = (0..<globalBatch).map { _ in (0...context).map { _ in Int32(rng.nextUniform(0, 1) * Float(vocabulary)) % Int32(vocabulary) } }
            let inputs = rows.flatMap { windows[$0].prefix(context).map(Float.init) }
            return TrainingBatch(inputs: Tensor(shape: [rows.count, context], values: inputs),
                                 targets: rows.flatMap { windows[$0].dropFirst() })
        }
    }
}
