import SynapseCore
import SynapseNN

extension ModelFactory {
    /// A GPT-style character (or byte-pair) language model (the PyTorch peer's `GPT`): token and
    /// position embeddings, `layers` pre-norm blocks of `width` with `heads` heads and a 4× MLP
    /// with `activation`, the final LayerNorm, and the output layer (tied to the token
    /// embedding unless `tie_embeddings: false`); GPT-2's initialization.
    /// - Shape: token ids [B, T] → logits [B·T, vocabularySize].
    static func transformer(config c: ModelConfig, vocabularySize: Int, rng: inout RandomGenerator) throws -> GPT {
        let activation = c.activation.rawValue
        _ = try activationLayer(activation)   // an unknown name fails here, not inside the builder
        return GPT(vocabularySize: vocabularySize, context: c.context, width: c.width, layers: c.layers, heads: c.heads,
                   positions: c.positions == .learned ? .learned : .sinusoidal, tiedEmbeddings: c.tieEmbeddings,
                   dropout: c.dropout, activation: { try! activationLayer(activation) }, rng: &rng)   // the name was checked above
    }
}
