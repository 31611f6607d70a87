import SynapseCore

/// A lookup table of learned vectors, one per token id (PyTorch `nn.Embedding`).
///
/// Initialized like PyTorch: every weight from the standard normal N(0, 1).
/// (PyTorch's `padding_idx`, `max_norm` and sparse gradients are not supported.)
/// - Shape: ids [any shape S] holding whole numbers in 0..<vocabularySize
///   → [S…, dimension].
public final class Embedding: Module {
    /// [vocabularySize, dimension]
    public let weight: Tensor
    /// Number of distinct token ids (PyTorch `num_embeddings`).
    public let vocabularySize: Int
    /// Length of each vector (PyTorch `embedding_dim`).
    public let dimension: Int

    /// Creates the table, weights drawn from N(0, 1) with `rng`.
    public init(vocabularySize: Int, dimension: Int, rng: inout RandomGenerator) {
        precondition(vocabularySize > 0 && dimension > 0,
                     "Embedding: sizes must be positive, got vocabularySize \(vocabularySize), dimension \(dimension)")
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        weight = Tensor(uninitializedShape: [vocabularySize, dimension])
        let p = weight.pointer
        for i in 0..<weight.count { p[i] = rng.nextNormal() }
        super.init()
        registerParameter("weight", weight)
    }

    /// The vectors of `ids` (see `embedding(ids:weight:)`).
    public override func forward(_ ids: Tensor) -> Tensor {
        embedding(ids: ids, weight: weight)
    }
}
