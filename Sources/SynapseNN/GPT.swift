import SynapseCore

/// A GPT-style decoder-only Transformer language model: it reads token ids and predicts, at
/// every position, the next token from that position and the ones before it.
/// ```
/// ids [B, T] → tok (token embedding) + pos (position vectors)       [B, T, C]
///            → [dropout] → blocks.0 … blocks.(N−1)                   [B, T, C]
///            → ln (final LayerNorm) → head (C → V)                   [B·T, V] logits
/// ```
/// With `tiedEmbeddings` the head has no weight of its own: it multiplies by the token
/// embedding table transposed (Press & Wolf, arXiv:1608.05859; GPT-2). The table is then ONE
/// tensor in the parameter arena, used twice; its gradient is the sum of both uses (the
/// embedding's scatter-add and the head's matrix product add into the same buffer).
///
/// Initialization is GPT-2's: every matrix (embeddings included) from N(0, 0.02), biases 0,
/// LayerNorm 1 and 0, and the two projections of each block that write into the residual
/// stream (`proj`, `fc2`) from N(0, 0.02/√(2N)), so the stream's variance does not grow with
/// depth N (Radford et al., 2019, §2.3).
///
/// Names follow the PyTorch peer (../shared/peer/bench_torch_seq.py `GPT`): `tok.weight`,
/// `pos.weight`, `blocks.K.ln1.weight`, …, `ln.weight`, and `head.weight` when untied.
/// - Shape: token ids [B, T] (T ≤ context) → logits [B·T, vocabularySize].
public final class GPT: Module {
    /// Token embedding [V, C] (also the output layer when tied).
    public let tok: Embedding
    /// Position vectors (learned or sinusoidal), `context` of them.
    public let pos: PositionEmbedding
    /// The N blocks, named "0", "1", ….
    public let blocks: [TransformerBlock]
    /// Final layer norm.
    public let ln: LayerNorm
    /// The output layer when not tied to `tok`.
    public let head: Linear?
    let drop: Dropout?

    /// Vocabulary size V.
    public var vocabularySize: Int { tok.vocabularySize }
    /// Width C.
    public var width: Int { tok.dimension }
    /// Longest sequence the model reads (the position table's length).
    public var context: Int { pos.maxLength }

    /// Creates the model with GPT-2's initialization drawn from `rng`.
    /// - Parameters:
    ///   - vocabularySize: tokens in the vocabulary, V.
    ///   - context: the longest sequence the model reads, T_max.
    ///   - width: the embedding width C (a multiple of `heads`).
    ///   - layers: Transformer blocks, N.
    ///   - heads: attention heads per block; each sees C / heads dimensions.
    ///   - positions: learned position vectors (GPT-2) or fixed sines and cosines.
    ///   - tiedEmbeddings: the output layer reuses the token embedding's matrix.
    ///   - activation: makes each block's MLP nonlinearity (GELU for GPT-2).
    ///   - dropout: on the embeddings and on each branch before its residual add (0: none).
    ///   - rng: the generator the weights are drawn from.
    public init(vocabularySize: Int, context: Int, width: Int, layers: Int, heads: Int,
                positions: PositionEmbedding.Kind = .learned, tiedEmbeddings: Bool = true, dropout: Float = 0,
                activation: () -> Module, rng: inout RandomGenerator) {
        precondition(layers >= 1, "GPT: layers must be at least 1, got \(layers)")
        tok = Embedding(vocabularySize: vocabularySize, dimension: width, rng: &rng)
        pos = PositionEmbedding(kind: positions, maxLength: context, dimension: width, rng: &rng)
        drop = dropout > 0 ? Dropout(p: dropout) : nil
        blocks = (0..<layers).map { _ in
            TransformerBlock(width: width, heads: heads, activation: activation(), dropout: dropout, rng: &rng)
        }
        ln = LayerNorm(features: width)
        head = tiedEmbeddings ? nil : Linear(inputSize: width, outputSize: vocabularySize, bias: false, rng: &rng)
        super.init()
        registerModule("tok", tok)
        registerModule("pos", pos)
        if let drop { registerModule("drop", drop) }
        registerModule("blocks", Sequential(blocks))
        registerModule("ln", ln)
        if let head { registerModule("head", head) }
        initializeAsGPT2(rng: &rng)
    }

    /// GPT-2's initialization (see the type's documentation).
    private func initializeAsGPT2(rng: inout RandomGenerator) {
        let residual = Set(blocks.flatMap(\.residualProjections).map { ObjectIdentifier($0.weight) })
        let scaled = 0.02 / Float(2 * blocks.count).squareRoot()
        for (name, t) in namedParameters() {
            let p = t.pointer
            if t.rank == 2 {
                let std = residual.contains(ObjectIdentifier(t)) ? scaled : 0.02
                for i in 0..<t.count { p[i] = std * rng.nextNormal() }
            } else if name.hasSuffix("bias") {
                p.update(repeating: 0, count: t.count)
            }
        }
    }

    /// Logits for every position of whole sequences (training, evaluation).
    public override func forward(_ ids: Tensor) -> Tensor { forward(ids, caches: nil) }

    /// Logits for T new positions. With `caches` (one per block, all holding the same
    /// positions) the new tokens continue after the cached ones: each costs one position of
    /// work instead of a pass over the whole context (generation).
    /// - Shape: ids [B, T] → [B·T, V].
    public func forward(_ ids: Tensor, caches: [KeyValueCache]?) -> Tensor {
        precondition(ids.rank == 2, "GPT: input \(ids.shape) should be token ids [B, T]")
        precondition(caches == nil || caches!.count == blocks.count, "GPT: one key/value cache per block")
        let offset = caches?.first?.length ?? 0
        precondition(offset + ids.shape[1] <= context,
                     "GPT: positions up to \(offset + ids.shape[1]) exceed the model's context \(context)")
        var x = pos.forward(tok(ids), offset: offset)                       // [B, T, C]
        if let drop { x = drop(x) }
        for (k, block) in blocks.enumerated() { x = block.forward(x, cache: caches?[k]) }
        let rows = ln(x.reshaped(to: [-1, width]))                          // [B·T, C]
        return linear(rows, weight: head?.weight ?? tok.weight, bias: nil)  // [B·T, V]
    }

    /// Empty key/value caches for generating up to `context` positions of `batch` sequences.
    public func makeCaches(batch: Int = 1) -> [KeyValueCache] {
        blocks.map { _ in KeyValueCache(batch: batch, capacity: context, width: width) }
    }
}
