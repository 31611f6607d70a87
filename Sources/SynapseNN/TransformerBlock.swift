import SynapseCore

/// One pre-norm Transformer decoder block (GPT-2's arrangement):
/// ```
/// x = x + proj(attention(ln1(x)))          causal multi-head self-attention
/// x = x + fc2(act(fc(ln2(x))))             a 4× wider MLP, position by position
/// ```
/// Normalizing the input of each branch (not the sum, as the 2017 paper did) keeps an identity
/// path from the block's output back to its input, so gradients reach early blocks unchanged
/// through the additions; with residual dropout, each branch's output is dropped before the
/// add.
///
/// Layers `ln1`, `qkv` (one C → 3C projection for queries, keys and values), `proj`, `ln2`,
/// `fc`, `fc2`: the PyTorch peer's names (../shared/peer/bench_torch_seq.py), so its state
/// dict loads by name. Attention is the fused `causalSelfAttention` op.
/// References: Vaswani et al., "Attention Is All You Need", 2017; Radford et al., "Language
/// Models are Unsupervised Multitask Learners" (GPT-2), 2019.
/// - Shape: [B, T, C] → [B, T, C].
public final class TransformerBlock: Module {
    /// Attention heads; each reads C / heads dimensions.
    public let heads: Int
    /// Width C of the residual stream.
    public let width: Int
    let ln1: LayerNorm, qkv: Linear, proj: Linear, ln2: LayerNorm, fc: Linear, fc2: Linear
    let activation: Module
    let dropAttention: Dropout?, dropMLP: Dropout?

    /// A block of width `width` with `heads` heads, an MLP of 4·width with `activation`, and
    /// residual dropout `dropout` (0: none). Weights start at PyTorch's Linear defaults; `GPT`
    /// re-initializes them.
    public init(width: Int, heads: Int, activation: Module, dropout: Float = 0, rng: inout RandomGenerator) {
        precondition(heads >= 1 && width % heads == 0, "TransformerBlock: width \(width) must be a multiple of heads \(heads)")
        self.heads = heads
        self.width = width
        ln1 = LayerNorm(features: width)
        qkv = Linear(inputSize: width, outputSize: 3 * width, rng: &rng)
        proj = Linear(inputSize: width, outputSize: width, rng: &rng)
        ln2 = LayerNorm(features: width)
        fc = Linear(inputSize: width, outputSize: 4 * width, rng: &rng)
        fc2 = Linear(inputSize: 4 * width, outputSize: width, rng: &rng)
        self.activation = activation
        dropAttention = dropout > 0 ? Dropout(p: dropout) : nil
        dropMLP = dropout > 0 ? Dropout(p: dropout) : nil
        super.init()
        registerModule("ln1", ln1)
        registerModule("qkv", qkv)
        registerModule("proj", proj)
        registerModule("ln2", ln2)
        registerModule("fc", fc)
        registerModule("act", activation)
        registerModule("fc2", fc2)
        if let dropAttention { registerModule("drop1", dropAttention) }
        if let dropMLP { registerModule("drop2", dropMLP) }
    }

    /// The block over whole sequences (training, evaluation).
    public override func forward(_ x: Tensor) -> Tensor { forward(x, cache: nil) }

    /// The block over T new positions; with a `cache`, their keys and values are appended to it
    /// and their queries also attend to the cached positions (generation).
    /// - Shape: x [B, T, C] → [B, T, C].
    public func forward(_ x: Tensor, cache: KeyValueCache?) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == width, "TransformerBlock: input \(x.shape) should be [B, T, \(width)]")
        let B = x.shape[0], T = x.shape[1], C = width
        let rows = x.reshaped(to: [B * T, C])                               // [B·T, C]
        let q = qkv(ln1(rows)).reshaped(to: [B, T, 3 * C])                  // [B, T, 3C]
        let attended = cache.map { causalSelfAttention(q, heads: heads, cache: $0) }
            ?? causalSelfAttention(q, heads: heads)                         // [B, T, C]
        var branch = proj(attended.reshaped(to: [B * T, C]))                // [B·T, C]
        if let dropAttention { branch = dropAttention(branch) }
        let mid = add(rows, branch)                                         // [B·T, C]
        var mlp = fc2(activation(fc(ln2(mid))))                             // [B·T, 4C] → [B·T, C]
        if let dropMLP { mlp = dropMLP(mlp) }
        return add(mid, mlp).reshaped(to: [B, T, C])
    }

    /// The two projections that write into the residual stream (`proj`, `fc2`): GPT-2 scales
    /// their initial weights down with depth.
    var residualProjections: [Linear] { [proj, fc2] }
}
