import SynapseCore

/// Multi-layer Elman RNN with tanh (PyTorch `nn.RNN`, nonlinearity='tanh'), each layer the
/// `rnnTanh` op.
///
/// Per layer and step: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).
/// Stacking, names, initialization, dropout and state: see `RecurrentNetwork`.
/// - Shape: x [B, T, inputSize] → [B, T, hiddenSize] (the last layer's hidden states).
public final class RNN: RecurrentNetwork {
    /// Creates the module with PyTorch's initialization drawn from `rng`: `layers` stacked
    /// layers (PyTorch `num_layers`), `bias_ih` and `bias_hh` when `bias`, dropout `dropout`
    /// between layers with masks from `dropoutRNG`.
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Float = 0,
                rng: inout RandomGenerator,
                dropoutRNG: RandomGenerator = RandomGenerator(seed: 0, stream: RandomGenerator.Stream.dropout)) {
        super.init(name: "RNN", gates: 1, hasCell: false, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                   bias: bias, dropout: dropout, rng: &rng, dropoutRNG: dropoutRNG)
    }

    public override func runLayer(_ input: Tensor, h0: Tensor?, c0: Tensor?, weights w: RecurrentLayerWeights) -> RecurrentLayerOutput {
        rnnTanh(input, h0: h0, weightIH: w.weightIH, weightHH: w.weightHH, biasIH: w.biasIH, biasHH: w.biasHH)
    }
}
