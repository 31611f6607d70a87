#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One Elman RNN layer with tanh over a whole batch-first sequence (PyTorch `torch.nn.RNN`,
/// one layer, nonlinearity='tanh', batch_first=True):
///
///     h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
///
/// Fused over time for the same reason as `lstm` (see RecurrentProjections.swift);
/// `rnnTanhCellReference` is the plain-loop step, the test oracle.
/// Reference: Elman, "Finding structure in time" (1990); the PyTorch documentation.
///
/// - Shape: x [B, T, I], h0 [B, H] (nil: zeros), weightIH [H, I], weightHH [H, H],
///   biasIH and biasHH [H] (nil: none) → output [B, T, H], hidden h_T [B, H].
public func rnnTanh(_ x: Tensor, h0: Tensor? = nil,
                    weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?) -> RecurrentLayerOutput {
    let d = RecurrentDimensions("rnnTanh", gates: 1, gateNames: "(a single block)", x: x, h0: h0,
                                weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    let B = d.B, T = d.T, H = d.H
    let h0 = h0 ?? Tensor.zeros([B, H])
    // pre [B, T, H]: x W_ihᵀ + b_ih + b_hh, then + h_{t-1} W_hhᵀ step by step
    let pre = inputProjection(x, weightIH: weightIH, biasIH: biasIH, biasHH: biasHH, d)
    let y = Tensor(uninitializedShape: [B, T, H])   // h_1 … h_T
    let weightHHT = transposedWeight(weightHH, d)   // W_hhᵀ [H, H]
    let pp = pre.pointer, yp = y.pointer
    for t in 0..<T {
        let (hPrev, ldh) = t == 0 ? (UnsafePointer(h0.pointer), H) : (UnsafePointer(yp + (t - 1) * H), T * H)
        BLAS.gemmInUnpackedBlocks(m: B, n: H, k: H, a: hPrev, lda: ldh,
                                  b: weightHHT.pointer, ldb: H, beta: 1, c: pp + t * H, ldc: T * H)
        for b in 0..<B {
            let row = b * T + t
            let z = pp + row * H, h = yp + row * H
            var j = 0
            while j < H { store8(gateTanh(load8(z, j, H)), h, j, H); j += 8 }   // see GateActivations.swift
        }
    }
    let inputs = [x, h0, weightIH, weightHH] + [biasIH, biasHH].compactMap { $0 }
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        y.record(inputs: inputs) { y, dy in
            rnnTanhBackward(dy: dy, y: y, x: x, h0: h0, weightIH: weightIH, weightHH: weightHH,
                            biasIH: biasIH, biasHH: biasHH, d)
        }
    }
    return RecurrentLayerOutput(output: y, hidden: lastTimeStep(y), cell: nil)
}

/// Backpropagation through time for `rnnTanh`. Going backwards, with dh = dL/dh_t (from the
/// output plus from step t+1):
///
///     dPre[:, t] = dh ⊙ (1 − h_t²)
///     dL/dh_{t-1} from the recurrence = dPre[:, t] · W_hh           (one GEMM per step)
///
/// - Shape: dy, y [B, T, H].
private func rnnTanhBackward(dy: Tensor, y: Tensor, x: Tensor, h0: Tensor, weightIH: Tensor, weightHH: Tensor,
                             biasIH: Tensor?, biasHH: Tensor?, _ d: RecurrentDimensions) {
    let B = d.B, T = d.T, H = d.H
    let dPre = Tensor(uninitializedShape: [B, T, H])   // dL/d(pre-activation)
    let carry = Tensor(uninitializedShape: [B, H])     // dL/dh_{t-1} through the recurrence
    let dyp = dy.pointer, yp = y.pointer, dp = dPre.pointer, carryp = carry.pointer
    carryp.update(repeating: 0, count: B * H)
    for t in stride(from: T - 1, through: 0, by: -1) {
        for b in 0..<B {
            let row = b * T + t
            let h = yp + row * H, dyRow = dyp + row * H, dz = dp + row * H, carryRow = carryp + b * H
            var j = 0
            while j < H {
                let hj = load8(h, j, H)
                store8((load8(dyRow, j, H) + load8(carryRow, j, H)) * (1 - hj * hj), dz, j, H)
                j += 8
            }
        }
        if t > 0 || h0.requiresGrad {   // carry [B, H] = dPre[:, t] [B, H] · W_hh [H, H]
            BLAS.gemmInUnpackedBlocks(m: B, n: H, k: H, a: dp + t * H, lda: T * H,
                                      b: weightHH.pointer, ldb: H, beta: 0, c: carryp, ldc: H)
        }
    }
    h0.accumulateGrad { g in for k in 0..<g.count { g[k] += carryp[k] } }
    accumulateProjectionGradients(dGx: dPre, dGh: dPre, x: x, y: yp, h0: h0,
                                  weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, d)
}

/// One tanh-RNN step written out with plain loops, in Double, no BLAS: the test oracle for
/// `rnnTanh`. Not on the tape.
/// - Shape: x [B, I], h [B, H], weightIH [H, I], weightHH [H, H], biases [H] → h' [B, H].
public func rnnTanhCellReference(x: Tensor, h: Tensor, weightIH: Tensor, weightHH: Tensor,
                                 biasIH: Tensor?, biasHH: Tensor?) -> Tensor {
    let B = x.shape[0], I = x.shape[1], H = h.shape[1]
    let hOut = Tensor(uninitializedShape: [B, H])
    for b in 0..<B {
        for k in 0..<H {
            var s = Double(biasIH?.data[k] ?? 0) + Double(biasHH?.data[k] ?? 0)
            for p in 0..<I { s += Double(weightIH.data[k * I + p]) * Double(x.data[b * I + p]) }
            for p in 0..<H { s += Double(weightHH.data[k * H + p]) * Double(h.data[b * H + p]) }
            hOut.data[b * H + k] = Float(tanh(s))
        }
    }
    return hOut
}
