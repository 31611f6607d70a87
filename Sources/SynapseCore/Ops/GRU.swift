#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// One GRU layer over a whole batch-first sequence (PyTorch `torch.nn.GRU`, one layer,
/// batch_first=True). At each step t, with gates stacked in PyTorch's order r, z, n:
///
///     r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)           reset gate
///     z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)           update gate
///     n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))  candidate
///     h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
///
/// Note where b_hn sits: inside the reset product, as PyTorch (and cuDNN) place it — the
/// original paper applies r before the matrix product, which gives different numbers. So the
/// hidden-side pre-activations h W_hhᵀ + b_hh are kept apart from the input side.
/// Fused over time for the same reason as `lstm` (see RecurrentProjections.swift);
/// `gruCellReference` is the plain-loop step, the test oracle.
/// Reference: Cho et al., arXiv:1406.1078; formulas from the PyTorch documentation.
///
/// - Shape: x [B, T, I], h0 [B, H] (nil: zeros), weightIH [3H, I], weightHH [3H, H],
///   biasIH and biasHH [3H] (nil: none) → output [B, T, H], hidden h_T [B, H].
public func gru(_ x: Tensor, h0: Tensor? = nil,
                weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?) -> RecurrentLayerOutput {
    let d = RecurrentDimensions("gru", gates: 3, gateNames: "r, z, n", x: x, h0: h0,
                                weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    let B = d.B, T = d.T, H = d.H, G = d.G
    let h0 = h0 ?? Tensor.zeros([B, H])
    // inputSide [B, T, 3H]: x W_ihᵀ + b_ih, overwritten step by step with the activations r, z, n
    let inputSide = inputProjection(x, weightIH: weightIH, biasIH: biasIH, biasHH: nil, d)
    let hiddenSide = Tensor(uninitializedShape: [B, T, G])   // h_{t-1} W_hhᵀ + b_hh, every step
    fillRows(hiddenSide.pointer, rows: B * T, width: G, biasHH, nil)
    let y = Tensor(uninitializedShape: [B, T, H])            // h_1 … h_T
    let weightHHT = transposedWeight(weightHH, d)           // W_hhᵀ [H, 3H]
    let xs = inputSide.pointer, hs = hiddenSide.pointer, yp = y.pointer
    for t in 0..<T {
        // hiddenSide[:, t] += h_{t-1} · W_hhᵀ, reading h_{t-1} in place (row stride T·H).
        let (hPrev, ldh) = t == 0 ? (UnsafePointer(h0.pointer), H) : (UnsafePointer(yp + (t - 1) * H), T * H)
        BLAS.gemmInUnpackedBlocks(m: B, n: G, k: H, a: hPrev, lda: ldh,
                                  b: weightHHT.pointer, ldb: G, beta: 1, c: hs + t * G, ldc: T * G)
        for b in 0..<B {
            let row = b * T + t
            let hp = t == 0 ? UnsafePointer(h0.pointer + b * H) : UnsafePointer(yp + (row - 1) * H)
            // the gate math: r, z, n over the input side, h_t (RecurrentKernels.h)
            synapse_gru_step_forward(xs + row * G, hs + row * G, hp, yp + row * H, H)
        }
    }
    let inputs = [recordedInput(x), h0, weightIH, weightHH] + [biasIH, biasHH].compactMap { $0 }
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        y.record(inputs: inputs) { y, dy in
            gruBackward(dy: dy, y: y, gates: inputSide, hiddenSide: hiddenSide, x: x, h0: h0,
                        weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, d)
        }
    }
    return RecurrentLayerOutput(output: y, hidden: lastTimeStep(y), cell: nil)
}

/// Backpropagation through time for `gru`. Going backwards, with dh = dL/dh_t (from the
/// output plus from step t+1) and hn = W_hn h_{t-1} + b_hn saved by the forward pass:
///
///     dn = dh ⊙ (1 − z)          dz = dh ⊙ (h_{t-1} − n)
///     dn' = dn ⊙ (1 − n²)        dr' = dn' ⊙ hn ⊙ r(1 − r)      dz' = dz ⊙ z(1 − z)
///     input side:  dGx[:, t] = [dr', dz', dn']
///     hidden side: dGh[:, t] = [dr', dz', dn' ⊙ r]
///     dL/dh_{t-1} = dh ⊙ z + dGh[:, t] · W_hh                       (one GEMM per step)
///
/// - Shape: dy, y [B, T, H]; gates (r, z, n) and hiddenSide [B, T, 3H].
private func gruBackward(dy: Tensor, y: Tensor, gates: Tensor, hiddenSide: Tensor, x: Tensor, h0: Tensor,
                         weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
                         _ d: RecurrentDimensions) {
    let B = d.B, T = d.T, H = d.H, G = d.G
    // dL/d(input-side and hidden-side pre-activations) [B, T, 3H], written over the activations
    // and the hidden side, which the step kernel reads just before (see lstmBackward).
    let dGx = gates, dGh = hiddenSide
    let carry = Tensor(uninitializedShape: [B, H])    // dL/dh_{t-1} through the recurrence
    let dyp = dy.pointer, yp = y.pointer, gp = gates.pointer, hs = hiddenSide.pointer
    let dxp = dGx.pointer, dhp = dGh.pointer, carryp = carry.pointer
    carryp.update(repeating: 0, count: B * H)
    for t in stride(from: T - 1, through: 0, by: -1) {
        for b in 0..<B {
            let row = b * T + t
            let hp = t == 0 ? UnsafePointer(h0.pointer + b * H) : UnsafePointer(yp + (row - 1) * H)
            // dGx[b, t], dGh[b, t] and carry ← dh ⊙ z, from dh = dy + carry (RecurrentKernels.h)
            synapse_gru_step_backward(gp + row * G, hs + row * G + 2 * H, hp, dyp + row * H,
                                      carryp + b * H, dxp + row * G, dhp + row * G, H)
        }
        if t > 0 || h0.requiresGrad {   // carry [B, H] += dGh[:, t] [B, 3H] · W_hh [3H, H]
            BLAS.gemmInUnpackedBlocks(m: B, n: H, k: G, a: dhp + t * G, lda: T * G,
                                      b: weightHH.pointer, ldb: H, beta: 1, c: carryp, ldc: H)
        }
    }
    h0.accumulateGrad { g in for k in 0..<g.count { g[k] += carryp[k] } }
    accumulateProjectionGradients(dGx: dGx, dGh: dGh, x: x, y: yp, h0: h0,
                                  weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, d)
}

/// One GRU step written out with plain loops, in Double, no BLAS: the definition above read
/// literally, and the test oracle for `gru`. Not on the tape.
/// - Shape: x [B, I], h [B, H], weightIH [3H, I], weightHH [3H, H], biases [3H] → h' [B, H].
public func gruCellReference(x: Tensor, h: Tensor, weightIH: Tensor, weightHH: Tensor,
                             biasIH: Tensor?, biasHH: Tensor?) -> Tensor {
    let B = x.shape[0], I = x.shape[1], H = h.shape[1]
    let hOut = Tensor(uninitializedShape: [B, H])
    for b in 0..<B {
        // Input side W_ih x + b_ih and hidden side W_hh h + b_hh, each [3H], kept apart.
        var inputSide = [Double](repeating: 0, count: 3 * H), hiddenSide = inputSide
        for k in 0..<(3 * H) {
            var si = Double(biasIH?.data[k] ?? 0), sh = Double(biasHH?.data[k] ?? 0)
            for p in 0..<I { si += Double(weightIH.data[k * I + p]) * Double(x.data[b * I + p]) }
            for p in 0..<H { sh += Double(weightHH.data[k * H + p]) * Double(h.data[b * H + p]) }
            inputSide[k] = si
            hiddenSide[k] = sh
        }
        func sigma(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        for j in 0..<H {
            let r = sigma(inputSide[j] + hiddenSide[j])
            let z = sigma(inputSide[H + j] + hiddenSide[H + j])
            let n = tanh(inputSide[2 * H + j] + r * hiddenSide[2 * H + j])
            hOut.data[b * H + j] = Float((1 - z) * n + z * Double(h.data[b * H + j]))
        }
    }
    return hOut
}
