import SynapseCore

/// What `RNN`, `LSTM` and `GRU` share: a stack of recurrent layers, batch first, with
/// PyTorch's parameter names and initialization, dropout between layers, and a state that can
/// be carried from one call to the next (generation, truncated BPTT). Each subclass names its
/// cell: how many gate blocks a layer has and which op runs a layer over a sequence.
///
/// Layer k > 0 reads the hidden states of layer k − 1, through dropout in training mode when
/// `dropout` > 0 (not after the last layer), as PyTorch does. Parameters are registered on the
/// module itself (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l1`,
/// …), each initialized uniform(−1/√hiddenSize, 1/√hiddenSize) like PyTorch.
/// - Shape: x [B, T, inputSize] → [B, T, hiddenSize] (the last layer's hidden states).
open class RecurrentNetwork: Module {
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
    /// Whether the state has a cell besides the hidden state (LSTM).
    public let hasCell: Bool
    private let stack: RecurrentStack

    /// Creates the stack with PyTorch's initialization drawn from `rng`.
    /// - Parameters:
    ///   - name: the module's name in messages ("LSTM").
    ///   - gates: gate blocks per layer (LSTM 4, GRU 3, RNN 1).
    ///   - hasCell: whether the layer carries a cell state besides h (LSTM).
    ///   - inputSize: features of each time step's input.
    ///   - hiddenSize: features of the hidden state h.
    ///   - layers: number of stacked layers (PyTorch `num_layers`).
    ///   - bias: whether each layer has `bias_ih` and `bias_hh`.
    ///   - dropout: dropout probability between layers, in [0, 1).
    ///   - rng: the generator the weights are drawn from.
    ///   - dropoutRNG: the generator of the between-layer dropout masks.
    public init(name: String, gates: Int, hasCell: Bool, inputSize: Int, hiddenSize: Int, layers: Int, bias: Bool,
                dropout: Float, rng: inout RandomGenerator, dropoutRNG: RandomGenerator) {
        stack = RecurrentStack(name: name, gates: gates, inputSize: inputSize, hiddenSize: hiddenSize,
                               layerCount: layers, bias: bias, dropout: dropout, rng: &rng)
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        self.hasCell = hasCell
        layerDropout = dropout > 0 ? Dropout(p: dropout, rng: dropoutRNG) : nil
        super.init()
        stack.register(on: self)
        if let layerDropout { registerModule("layerDropout", layerDropout) }
    }

    /// Runs one layer over the whole sequence from (h0, c0): the cell's op. Subclasses override it.
    /// - Shape: input [B, T, in] → output [B, T, H], final hidden [B, H] (and cell [B, H]).
    open func runLayer(_ input: Tensor, h0: Tensor?, c0: Tensor?, weights w: RecurrentLayerWeights) -> RecurrentLayerOutput {
        fatalError("\(type(of: self)) must override runLayer(_:h0:c0:weights:)")
    }

    /// The last layer's hidden state at every step, starting from zero state.
    /// - Shape: [B, T, inputSize] → [B, T, hiddenSize].
    public override func forward(_ x: Tensor) -> Tensor { forward(x, state: nil).output }

    /// Runs the sequence from `state` (nil: zeros) and also returns the final state of every
    /// layer, to continue from in the next call.
    /// - Shape: x [B, T, inputSize] → output [B, T, hiddenSize]; state: one [B, hiddenSize]
    ///   hidden (and cell) tensor per layer.
    public func forward(_ x: Tensor, state: RecurrentState?) -> (output: Tensor, state: RecurrentState) {
        stack.run(x, state: state, hasCell: hasCell, dropout: layerDropout) { input, h0, c0, w in
            runLayer(input, h0: h0, c0: c0, weights: w)
        }
    }
}
