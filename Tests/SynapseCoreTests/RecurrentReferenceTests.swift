import Testing
import SynapseCore
import SynapseTestSupport

/// A stack of recurrent layers run over a sequence, computed independently by
/// `Reference/make_recurrent_reference.py` (numpy, float64, PyTorch's equations); the values
/// live in RecurrentReferenceValues.swift.
struct RecurrentReference: Sendable {
    enum Cell: Sendable { case rnnTanh, lstm, gru }

    /// One layer: its initial state, weights, final state, and the gradients.
    struct Layer: Sendable {
        let h0: [Float], c0: [Float]   // c0 empty unless LSTM
        let weightIH: [Float], weightHH: [Float], biasIH: [Float], biasHH: [Float]
        let hidden: [Float], cell: [Float]   // h_T, c_T
        /// Upstream gradients of h_T and c_T in the loss.
        let upstreamHidden: [Float], upstreamCell: [Float]
        let gradH0: [Float], gradC0: [Float]
        let gradWeightIH: [Float], gradWeightHH: [Float], gradBiasIH: [Float], gradBiasHH: [Float]
    }

    let cell: Cell
    let batch: Int, steps: Int, inputSize: Int, hiddenSize: Int
    let x: [Float]
    let layers: [Layer]
    /// Last layer's hidden states [B, T, H].
    let output: [Float]
    /// The loss is sum(output · upstreamOutput) + Σ_k sum(h_T[k] · upstreamHidden[k])
    /// (+ Σ_k sum(c_T[k] · upstreamCell[k]) for an LSTM).
    let upstreamOutput: [Float]
    let gradX: [Float]
}

@Suite("Recurrent ops against numpy reference values")
struct RecurrentReferenceTests {
    /// Chains the op layer by layer (as the NN modules do, without dropout), builds the
    /// reference loss, and compares forward values and every gradient.
    /// Tolerances: Float32 against float64 over T steps and two layers; the values are O(1),
    /// gradients O(0.01–1).
    private func check(_ ref: RecurrentReference, sourceLocation: SourceLocation = #_sourceLocation) {
        let B = ref.batch, T = ref.steps, H = ref.hiddenSize
        let gates = ref.cell == .lstm ? 4 : ref.cell == .gru ? 3 : 1
        func tensor(_ v: [Float], _ shape: [Int]) -> Tensor { Tensor(shape: shape, values: v, requiresGrad: true) }
        let x = tensor(ref.x, [B, T, ref.inputSize])
        var input = x
        var loss: Tensor?
        var leaves: [[Tensor]] = []   // per layer: h0, c0?, weightIH, weightHH, biasIH, biasHH
        for (k, layer) in ref.layers.enumerated() {
            let inWidth = k == 0 ? ref.inputSize : H
            let h0 = tensor(layer.h0, [B, H])
            let c0 = ref.cell == .lstm ? tensor(layer.c0, [B, H]) : nil
            let wIH = tensor(layer.weightIH, [gates * H, inWidth]), wHH = tensor(layer.weightHH, [gates * H, H])
            let bIH = tensor(layer.biasIH, [gates * H]), bHH = tensor(layer.biasHH, [gates * H])
            let out: RecurrentLayerOutput
            switch ref.cell {
            case .lstm: out = lstm(input, h0: h0, c0: c0, weightIH: wIH, weightHH: wHH, biasIH: bIH, biasHH: bHH)
            case .gru: out = gru(input, h0: h0, weightIH: wIH, weightHH: wHH, biasIH: bIH, biasHH: bHH)
            case .rnnTanh: out = rnnTanh(input, h0: h0, weightIH: wIH, weightHH: wHH, biasIH: bIH, biasHH: bHH)
            }
            expectClose(out.hidden.scalars, layer.hidden, rtol: 1e-5, atol: 1e-6, "layer \(k) h_T", sourceLocation: sourceLocation)
            var term = sum(multiply(out.hidden, Tensor(shape: [B, H], values: layer.upstreamHidden)))
            if let c = out.cell {
                expectClose(c.scalars, layer.cell, rtol: 1e-5, atol: 1e-6, "layer \(k) c_T", sourceLocation: sourceLocation)
                term = add(term, sum(multiply(c, Tensor(shape: [B, H], values: layer.upstreamCell))))
            }
            loss = loss.map { add($0, term) } ?? term
            leaves.append([h0] + (c0.map { [$0] } ?? []) + [wIH, wHH, bIH, bHH])
            input = out.output
        }
        expectClose(input.scalars, ref.output, rtol: 1e-5, atol: 1e-6, "output", sourceLocation: sourceLocation)
        add(loss!, sum(multiply(input, Tensor(shape: [B, T, H], values: ref.upstreamOutput)))).backward()
        expectClose(x.grad!.scalars, ref.gradX, rtol: 1e-4, atol: 1e-6, "dx", sourceLocation: sourceLocation)
        for (k, layer) in ref.layers.enumerated() {
            let expected = [layer.gradH0] + (ref.cell == .lstm ? [layer.gradC0] : [])
                + [layer.gradWeightIH, layer.gradWeightHH, layer.gradBiasIH, layer.gradBiasHH]
            let names = ["h0"] + (ref.cell == .lstm ? ["c0"] : []) + ["weightIH", "weightHH", "biasIH", "biasHH"]
            for (leaf, (want, name)) in zip(leaves[k], zip(expected, names)) {
                expectClose(leaf.grad?.scalars ?? [], want, rtol: 1e-4, atol: 1e-6, "layer \(k) d\(name)",
                            sourceLocation: sourceLocation)
            }
        }
    }

    @Test func lstmTwoLayers() { check(.lstm2Layers) }
    @Test func gruTwoLayers() { check(.gru2Layers) }
    @Test func rnnTanhTwoLayers() { check(.rnnTanh2Layers) }
}
