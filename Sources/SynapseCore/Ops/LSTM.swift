#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// One LSTM layer over a whole batch-first sequence (PyTorch `torch.nn.LSTM`, one layer,
/// batch_first=True). At each step t, with gates stacked in PyTorch's order i, f, g, o:
///
///     i = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
///     f = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
///     g = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate cell
///     o = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
///     c_t = f ⊙ c_{t-1} + i ⊙ g
///     h_t = o ⊙ tanh(c_t)
///
/// Fused over time (one op for the whole sequence, not one per step) so that the input
/// projection and all weight gradients are single GEMMs over B·T rows (see
/// RecurrentProjections.swift); only h_{t-1} W_hhᵀ and its gradient run step by step.
/// `lstmCellReference` is the same step with plain loops: the test oracle.
/// Reference: Hochreiter & Schmidhuber (1997); gate layout from the PyTorch documentation.
///
/// - Shape: x [B, T, I], h0 and c0 [B, H] (nil: zeros), weightIH [4H, I], weightHH [4H, H],
///   biasIH and biasHH [4H] (nil: none) → output [B, T, H], hidden h_T [B, H], cell c_T [B, H].
public func lstm(_ x: Tensor, h0: Tensor? = nil, c0: Tensor? = nil,
                 weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?) -> RecurrentLayerOutput {
    let d = RecurrentDimensions("lstm", gates: 4, gateNames: "i, f, g, o", x: x, h0: h0,
                                weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    let B = d.B, T = d.T, H = d.H, G = d.G
    if let c0 { precondition(c0.shape == [B, H], "lstm: c0 \(c0.shape) should be [B, H] = [\(B), \(H)]") }
    let h0 = h0 ?? Tensor.zeros([B, H]), c0 = c0 ?? Tensor.zeros([B, H])
    // gates [B, T, 4H]: x W_ihᵀ, then + h_{t-1} W_hhᵀ step by step; the step kernel adds the
    // biases (one pass less over the [B, T, 4H] buffer than filling it with them first) and
    // overwrites the pre-activations with the activations i, f, g, o.
    let gates = inputProjection(x, weightIH: weightIH, biasIH: nil, biasHH: nil, d)
    let bias = summedBias(biasIH, biasHH)                           // b_ih + b_hh [4H], or nil
    let cells = Tensor(uninitializedShape: [B, T, H])              // c_t for every step
    let packed = Tensor(uninitializedShape: [B * T * H + B * H])   // output [B, T, H], then c_T [B, H]
    let weightHHT = transposedWeight(weightHH, d)                   // W_hhᵀ [H, 4H]
    let gp = gates.pointer, cp = cells.pointer, yp = packed.pointer
    for t in 0..<T {
        // gates[:, t] += h_{t-1} · W_hhᵀ. h_{t-1} is row t-1 of each sequence in the output
        // (row stride T·H), so the GEMM reads it in place.
        let (hPrev, ldh) = t == 0 ? (UnsafePointer(h0.pointer), H) : (UnsafePointer(yp + (t - 1) * H), T * H)
        BLAS.gemmInUnpackedBlocks(m: B, n: G, k: H, a: hPrev, lda: ldh,
                                  b: weightHHT.pointer, ldb: G, beta: 1, c: gp + t * G, ldc: T * G)
        for b in 0..<B {
            let row = b * T + t
            let cPrev = t == 0 ? c0.pointer + b * H : cp + (row - 1) * H
            // the gate math: + bias, i, f, g, o, c_t, h_t (RecurrentKernels.h)
            synapse_lstm_step_forward(gp + row * G, bias?.pointer, cPrev, cp + row * H, yp + row * H, H)
        }
    }
    for b in 0..<B { (yp + B * T * H + b * H).update(from: cp + (b * T + T - 1) * H, count: H) }
    let inputs = [recordedInput(x), h0, c0, weightIH, weightHH] + [biasIH, biasHH].compactMap { $0 }
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        packed.record(inputs: inputs) { packed, dPacked in
            lstmBackward(dPacked: dPacked, packed: packed, gates: gates, cells: cells, x: x, h0: h0, c0: c0,
                         weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, d)
        }
    }
    let output = window(of: packed, offset: 0, shape: [B, T, H])
    return RecurrentLayerOutput(output: output, hidden: lastTimeStep(output),
                                cell: window(of: packed, offset: B * T * H, shape: [B, H]))
}

/// Backpropagation through time for `lstm`. Going backwards from t = T-1, with
/// dh = dL/dh_t (from the output plus from step t+1) and dc = dL/dc_t (from step t+1, or c_T):
///
///     dc  += dh ⊙ o ⊙ (1 − tanh²c_t)
///     do = dh ⊙ tanh c_t    di = dc ⊙ g    dg = dc ⊙ i    df = dc ⊙ c_{t-1}
///     dL/dc_{t-1} = dc ⊙ f
///     d(pre-activations) = [di·i(1−i), df·f(1−f), dg·(1−g²), do·o(1−o)]   → dGates[:, t]
///     dL/dh_{t-1} from the recurrence = dGates[:, t] · W_hh              (one GEMM per step)
///
/// then every weight, bias and input gradient in one GEMM each over all steps.
/// - Shape: dPacked [B·T·H + B·H] (d output, then d c_T); gates [B, T, 4H] (activations);
///   cells [B, T, H].
private func lstmBackward(dPacked: Tensor, packed: Tensor, gates: Tensor, cells: Tensor, x: Tensor, h0: Tensor, c0: Tensor,
                          weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
                          _ d: RecurrentDimensions) {
    let B = d.B, T = d.T, H = d.H, G = d.G
    // dL/d(pre-activations) [B, T, 4H], written over the activations: each row's activations
    // are read once, by the step kernel that overwrites them with their gradient, and the graph
    // is freed after one backward pass. That spares a fresh 8 MB buffer (B 32, T 64, H 256)
    // whose first writes would each read the line in first.
    let dGates = gates
    let carry = Tensor(uninitializedShape: [B, H])       // dL/dh_{t-1} through the recurrence
    let dc = Tensor(uninitializedShape: [B, H])          // dL/dc_t, then dL/dc_{t-1}
    let dy = dPacked.pointer, gp = gates.pointer, cp = cells.pointer
    let dgp = dGates.pointer, carryp = carry.pointer, dcp = dc.pointer
    carryp.update(repeating: 0, count: B * H)
    dcp.update(from: dy + B * T * H, count: B * H)
    for t in stride(from: T - 1, through: 0, by: -1) {
        for b in 0..<B {
            let row = b * T + t
            let cPrev = t == 0 ? UnsafePointer(c0.pointer + b * H) : UnsafePointer(cp + (row - 1) * H)
            // dz = dGates[b, t] from the activations, dh = dy + carry and dc (RecurrentKernels.h)
            synapse_lstm_step_backward(gp + row * G, cp + row * H, cPrev, dy + row * H,
                                       carryp + b * H, dcp + b * H, dgp + row * G, H)
        }
        if t > 0 || h0.requiresGrad {   // carry [B, H] = dGates[:, t] [B, 4H] · W_hh [4H, H]
            BLAS.gemmInUnpackedBlocks(m: B, n: H, k: G, a: dgp + t * G, lda: T * G,
                                      b: weightHH.pointer, ldb: H, beta: 0, c: carryp, ldc: H)
        }
    }
    h0.accumulateGrad { g in for k in 0..<g.count { g[k] += carryp[k] } }
    c0.accumulateGrad { g in for k in 0..<g.count { g[k] += dcp[k] } }
    accumulateProjectionGradients(dGx: dGates, dGh: dGates, x: x, y: packed.pointer, h0: h0,
                                  weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, d)
}

/// One LSTM step written out with plain loops, in Double, no BLAS: the definition above
/// read literally, the test oracle for `lstm`, and the text to read first. Not on the tape.
/// - Shape: x [B, I], h and c [B, H], weightIH [4H, I], weightHH [4H, H], biases [4H]
///   → (h' [B, H], c' [B, H]).
public func lstmCellReference(x: Tensor, h: Tensor, c: Tensor, weightIH: Tensor, weightHH: Tensor,
                              biasIH: Tensor?, biasHH: Tensor?) -> (h: Tensor, c: Tensor) {
    let B = x.shape[0], I = x.shape[1], H = h.shape[1]
    let hOut = Tensor(uninitializedShape: [B, H]), cOut = Tensor(uninitializedShape: [B, H])
    for b in 0..<B {
        // pre[k] for k in 0..<4H: row k of W_ih · x + row k of W_hh · h + both biases
        var pre = [Double](repeating: 0, count: 4 * H)
        for k in 0..<(4 * H) {
            var s = Double(biasIH?.data[k] ?? 0) + Double(biasHH?.data[k] ?? 0)
            for p in 0..<I { s += Double(weightIH.data[k * I + p]) * Double(x.data[b * I + p]) }
            for p in 0..<H { s += Double(weightHH.data[k * H + p]) * Double(h.data[b * H + p]) }
            pre[k] = s
        }
        func sigma(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        for j in 0..<H {
            let i = sigma(pre[j]), f = sigma(pre[H + j]), g = tanh(pre[2 * H + j]), o = sigma(pre[3 * H + j])
            let cNew = f * Double(c.data[b * H + j]) + i * g
            cOut.data[b * H + j] = Float(cNew)
            hOut.data[b * H + j] = Float(o * tanh(cNew))
        }
    }
    return (hOut, cOut)
}
