import SynapseCore

/// Multi-layer long short-term memory (PyTorch `nn.LSTM`), each layer the `lstm` op.
///
/// Per layer and step (gates i, f, g, o): c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
/// Stacking, names, initialization, dropout and state: see `RecurrentNetwork`.
/// - Shape: x [B, T, inputSize] → [B, T, hiddenSize] (the last layer's hidden states).
public final class LSTM: RecurrentNetwork {
    /// Creates the module with PyTorch's initialization drawn from `rng`: `layers` stacked
    /// layers (PyTorch `num_layers`), `bias_ih` and `bias_hh` when `bias`, dropout `dropout`
    /// between layers with masks from `dropoutRNG`.
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Float = 0,
                rng: inout RandomGenerator,
                dropoutRNG: RandomGenerator = RandomGenerator(seed: 0, stream: RandomGenerator.Stream.dropout)) {
        super.init(name: "LSTM", gates: 4, hasCell: true, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                   bias: bias, dropout: dropout, rng: &rng, dropoutRNG: dropoutRNG)
    }

    public override func runLayer(_ input: Tensor, h0: Tensor?, c0: Tensor?, weights w: RecurrentLayerWeights) -> RecurrentLayerOutput {
        lstm(input, h0: h0, c0: c0, weightIH: w.weightIH, weightHH: w.weightHH, biasIH: w.biasIH, biasHH: w.biasHH)
    }
}
