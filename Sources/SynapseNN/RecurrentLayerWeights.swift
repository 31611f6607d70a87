import SynapseCore

/// The parameters of one layer of a stacked recurrent module, under PyTorch's names
/// `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`.
///
/// Gate blocks are stacked along the first dimension in PyTorch's order (LSTM i, f, g, o;
/// GRU r, z, n), so a PyTorch state_dict maps onto these tensors name for name.
public struct RecurrentLayerWeights {
    /// [gates·H, inputSize] for layer 0, [gates·H, H] above.
    public let weightIH: Tensor
    /// [gates·H, H]
    public let weightHH: Tensor
    /// [gates·H], or nil without bias.
    public let biasIH: Tensor?
    /// [gates·H], or nil without bias.
    public let biasHH: Tensor?

    /// PyTorch's initialization: every parameter uniform(−1/√H, 1/√H), drawn in the order
    /// weight_ih, weight_hh, bias_ih, bias_hh.
    init(gates: Int, inputSize: Int, hiddenSize H: Int, bias: Bool, rng: inout RandomGenerator) {
        let bound = 1 / Float(H).squareRoot()
        func uniform(_ shape: [Int]) -> Tensor {
            let t = Tensor(uninitializedShape: shape)
            for i in 0..<t.count { t.pointer[i] = rng.nextUniform(-bound, bound) }
            return t
        }
        weightIH = uniform([gates * H, inputSize])
        weightHH = uniform([gates * H, H])
        biasIH = bias ? uniform([gates * H]) : nil
        biasHH = bias ? uniform([gates * H]) : nil
    }
}

/// What `RNN`, `GRU` and `LSTM` share: a stack of layers, PyTorch's parameter names, and the
/// loop that feeds each layer's output (through dropout, except after the last) to the next.
struct RecurrentStack {
    /// Module name for messages ("LSTM").
    let name: String
    let inputSize: Int
    let hiddenSize: Int
    /// One entry per layer, bottom first.
    let layers: [RecurrentLayerWeights]

    init(name: String, gates: Int, inputSize: Int, hiddenSize: Int, layerCount: Int, bias: Bool,
         dropout: Float, rng: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0,
                     "\(name): inputSize, hiddenSize and layers must be positive, got \(inputSize), \(hiddenSize), \(layerCount)")
        precondition(dropout >= 0 && dropout < 1, "\(name): dropout must be in [0, 1), got \(dropout)")
        self.name = name
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        var layers: [RecurrentLayerWeights] = []
        for k in 0..<layerCount {
            layers.append(RecurrentLayerWeights(gates: gates, inputSize: k == 0 ? inputSize : hiddenSize,
                                                hiddenSize: hiddenSize, bias: bias, rng: &rng))
        }
        self.layers = layers
    }

    /// Registers every layer's parameters directly on `module`, as PyTorch names them.
    func register(on module: Module) {
        for (k, w) in layers.enumerated() {
            module.registerParameter("weight_ih_l\(k)", w.weightIH)
            module.registerParameter("weight_hh_l\(k)", w.weightHH)
            if let b = w.biasIH { module.registerParameter("bias_ih_l\(k)", b) }
            if let b = w.biasHH { module.registerParameter("bias_hh_l\(k)", b) }
        }
    }

    /// Runs the layers bottom to top. `layer(input, h0, c0, weights)` runs one layer over the
    /// whole sequence; `dropout` (when given) is applied between layers, not after the last.
    /// - Shape: x [B, T, inputSize] → output [B, T, H]; state per layer [B, H].
    func run(_ x: Tensor, state: RecurrentState?, hasCell: Bool, dropout: Dropout?,
             layer: (Tensor, Tensor?, Tensor?, RecurrentLayerWeights) -> RecurrentLayerOutput)
        -> (output: Tensor, state: RecurrentState) {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "\(name): input \(x.shape) should be [B, T, inputSize] = [B, T, \(inputSize)] (batch first)")
        if let state { check(state, batch: x.shape[0], hasCell: hasCell) }
        var input = x
        var final = RecurrentState(hidden: [], cell: [])
        for (k, weights) in layers.enumerated() {
            if k > 0, let dropout { input = dropout(input) }
            let out = layer(input, state?.hidden[k], hasCell ? state?.cell[k] : nil, weights)
            final.hidden.append(out.hidden)
            if let c = out.cell { final.cell.append(c) }
            input = out.output
        }
        return (input, final)
    }

    private func check(_ state: RecurrentState, batch B: Int, hasCell: Bool) {
        let L = layers.count, H = hiddenSize
        precondition(state.hidden.count == L, "\(name): state has \(state.hidden.count) hidden tensors, expected one per layer (\(L))")
        precondition(!hasCell || state.cell.count == L,
                     "\(name): state has \(state.cell.count) cell tensors, expected one per layer (\(L))")
        for (k, t) in (state.hidden + state.cell).enumerated() {
            precondition(t.shape == [B, H], "\(name): state tensor \(k) is \(t.shape), expected [B, H] = [\(B), \(H)]")
        }
    }
}
