import SynapseCore

/// Multi-layer long short-term memory (PyTorch `nn.LSTM`), each layer the `lstm` op.
///
/// Per layer and step (gates i, f, g, o): c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
/// Layer k > 0 reads the hidden states of layer k − 1, through dropout in training mode when
/// `dropout` > 0 (not after the last layer), as PyTorch does. Batch first only (PyTorch's
/// `batch_first=True`).
///
/// Parameters are registered on the module itself under PyTorch's names (`weight_ih_l0`,
/// `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l1`, …) and initialized like
/// PyTorch: uniform(−1/√hiddenSize, 1/√hiddenSize).
/// - Shape: x [B, T, inputSize] → [B, T, hiddenSize] (the last layer's hidden states).
public final class LSTM: Module {
    /// Width of each input vector (PyTorch `input_size`).
    public let inputSize: Int
    /// Width of the hidden state (PyTorch `hidden_size`).
    public let hiddenSize: Int
    /// Number of stacked layers (PyTorch `num_layers`).
    public var layerCount: Int { stack.layers.count }
    /// Probability of dropping an element between layers (PyTorch `dropout`).
    public let dropout: Float
    /// The dropout applied between layers (nil when `dropout` is 0); a child module, so the
    /// trainer reseeds its `rng` each step like any other `Dropout`.
    public let layerDropout: Dropout?
    /// Each layer's parameters, bottom first.
    public var layers: [RecurrentLayerWeights] { stack.layers }
    private let stack: RecurrentStack

    /// Creates the module with PyTorch's initialization drawn from `rng`.
    /// - Parameters:
    ///   - layers: number of stacked layers (PyTorch `num_layers`, default 1).
    ///   - bias: whether each layer has `bias_ih` and `bias_hh` (default true).
    ///   - dropout: dropout probability between layers, in [0, 1) (default 0).
    ///   - dropoutRNG: the generator of the between-layer dropout masks.
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Float = 0,
                rng: inout RandomGenerator,
                dropoutRNG: RandomGenerator = RandomGenerator(seed: 0, stream: RandomGenerator.Stream.dropout)) {
        stack = RecurrentStack(name: "LSTM", gates: 4, inputSize: inputSize, hiddenSize: hiddenSize,
                               layerCount: layers, bias: bias, dropout: dropout, rng: &rng)
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        layerDropout = dropout > 0 ? Dropout(p: dropout, rng: dropoutRNG) : nil
        super.init()
        stack.register(on: self)
        if let layerDropout { registerModule("layerDropout", layerDropout) }
    }

    /// The last layer's hidden state at every step, starting from zero state.
    /// - Shape: [B, T, inputSize] → [B, T, hiddenSize].
    public override func forward(_ x: Tensor) -> Tensor { forward(x, state: nil).output }

    /// Runs the sequence from `state` (nil: zeros) and also returns the final state of every
    /// layer, to continue from in the next call (generation, truncated BPTT).
    /// - Shape: x [B, T, inputSize] → output [B, T, hiddenSize]; state: hidden and cell, one [B, hiddenSize] each per layer.
    public func forward(_ x: Tensor, state: RecurrentState?) -> (output: Tensor, state: RecurrentState) {
        stack.run(x, state: state, hasCell: true, dropout: layerDropout) { input, h0, c0, w in
            lstm(input, h0: h0, c0: c0, weightIH: w.weightIH, weightHH: w.weightHH, biasIH: w.biasIH, biasHH: w.biasHH)
        }
    }
}
