#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SynapseCore

/// Tells a Transformer where each token sits: attention itself is blind to order (it sees a
/// set of vectors), so a vector per position is added to each token's embedding.
///
/// Two kinds, as the guide presents them:
/// - `learned`: a table [maxLength, C] trained like any weight (GPT-2; parameter `weight`,
///   PyTorch `nn.Embedding(maxLength, C)`).
/// - `sinusoidal`: the fixed encoding of "Attention Is All You Need" (Vaswani et al., 2017,
///   §3.5): `PE[t, 2i] = sin(t / 10000^(2i/C))`, `PE[t, 2i+1] = cos(t / 10000^(2i/C))`, a
///   different wavelength per pair of dimensions. Nothing to learn and nothing saved.
/// - Shape: [B, T, C] token embeddings → [B, T, C], positions `offset..<offset + T`.
public final class PositionEmbedding: Module {
    /// How the position vectors are made.
    public enum Kind: String, Sendable, CaseIterable {
        /// A trained table.
        case learned
        /// Fixed sines and cosines.
        case sinusoidal
    }

    /// The kind of vectors.
    public let kind: Kind
    /// [maxLength, C]: the learned parameter, or the fixed sinusoid table (not a parameter).
    public let table: Tensor
    /// Longest sequence the table covers (the model's context).
    public var maxLength: Int { table.shape[0] }

    /// A table for positions 0..<maxLength of width `dimension`; a learned one starts from
    /// N(0, 1) drawn from `rng` (PyTorch's `nn.Embedding` default; GPT re-initializes it).
    public init(kind: Kind, maxLength: Int, dimension: Int, rng: inout RandomGenerator) {
        precondition(maxLength > 0 && dimension > 0,
                     "PositionEmbedding: sizes must be positive, got maxLength \(maxLength), dimension \(dimension)")
        self.kind = kind
        table = Tensor(uninitializedShape: [maxLength, dimension])
        let p = table.pointer
        switch kind {
        case .learned:
            for i in 0..<table.count { p[i] = rng.nextNormal() }
        case .sinusoidal:
            for t in 0..<maxLength {
                for i in stride(from: 0, to: dimension, by: 2) {
                    let angle = Double(t) / pow(10_000, Double(i) / Double(dimension))
                    p[t * dimension + i] = Float(sin(angle))
                    if i + 1 < dimension { p[t * dimension + i + 1] = Float(cos(angle)) }
                }
            }
        }
        super.init()
        if kind == .learned { registerParameter("weight", table) }
    }

    /// Token embeddings plus the vectors of positions 0..<T.
    public override func forward(_ x: Tensor) -> Tensor { forward(x, offset: 0) }

    /// Token embeddings plus the vectors of positions `offset..<offset + T` (generation with a
    /// key/value cache continues after the cached positions).
    public func forward(_ x: Tensor, offset: Int) -> Tensor {
        addingPositions(x, table: table, offset: offset)
    }
}
