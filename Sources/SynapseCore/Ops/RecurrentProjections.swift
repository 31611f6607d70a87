/// The matrix products every recurrent cell shares, done for the whole sequence at once.
///
/// A recurrent layer is `gates_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh` followed by a
/// cell-specific pointwise update. Only the `h_{t-1} W_hhᵀ` term has to wait for the previous
/// step; everything that involves x, and every weight gradient, is one GEMM over all B·T rows
/// (rows ordered (b, t), as x [B, T, I] is stored). That turns T small matrix products into
/// one large one, which BLAS runs near peak. (cuDNN and PyTorch's CPU kernels do the same.)

/// Input projection of every step: `X W_ihᵀ + b_ih (+ b_hh)`, one GEMM.
///
/// `biasHH` is folded in here for the tanh RNN, where both biases are simply added; the GRU
/// keeps b_hh apart (its b_hn sits inside r ⊙ (W_hn h + b_hn)) and passes nil, and the LSTM
/// passes neither (its step kernel adds their sum). With no bias the GEMM writes C directly.
/// - Shape: x [B, T, I], weightIH [G, I], biases [G] → [B, T, G].
func inputProjection(_ x: Tensor, weightIH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
                     _ d: RecurrentDimensions) -> Tensor {
    let rows = d.B * d.T, G = d.G
    let gates = Tensor(uninitializedShape: [d.B, d.T, G])   // [B, T, G]
    let hasBias = biasIH != nil || biasHH != nil
    if hasBias { fillRows(gates.pointer, rows: rows, width: G, biasIH, biasHH) }
    BLAS.gemm(transA: false, transB: true, m: rows, n: G, k: d.I,
              a: x.pointer, lda: d.I, b: weightIH.pointer, ldb: d.I,
              beta: hasBias ? 1 : 0, c: gates.pointer, ldc: G)
    return gates
}

/// W_hhᵀ for the forward steps' `h_{t-1} · W_hhᵀ`, so that the product needs no transpose flag:
/// untransposed, it runs as blocks on OpenBLAS's in-place small-product path
/// (`BLAS.gemmInUnpackedBlocks`; 140 GFLOP/s at B 32, H 256 against 114 for W_hh with the
/// transpose flag in 32-column blocks, the widest that path takes), and even in one call it was
/// faster with the Haswell kernels (62 against 56 GFLOP/s). Copying costs one pass over W_hh
/// per forward (0.1 ms at [1024, 256]); the product reads it T times.
/// - Shape: weightHH [G, H] → [H, G].
func transposedWeight(_ weightHH: Tensor, _ d: RecurrentDimensions) -> Tensor {
    let wT = Tensor(uninitializedShape: [d.H, d.G])
    BLAS.transpose(rows: d.G, cols: d.H, a: weightHH.pointer, lda: d.H, into: wT.pointer, ldb: d.G)
    return wT
}

/// `a + b` as one bias vector (either may be nil, meaning zero; nil when both are).
/// - Shape: a, b [G] → [G].
func summedBias(_ a: Tensor?, _ b: Tensor?) -> Tensor? {
    guard let first = a ?? b else { return nil }
    let sum = Tensor(uninitializedShape: first.shape)
    fillRows(sum.pointer, rows: 1, width: first.count, a, b)
    return sum
}

/// Writes `a + b` (either may be nil, meaning zero) into each of `rows` rows of `width`.
func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, _ a: Tensor?, _ b: Tensor?) {
    guard rows > 0 else { return }
    let first = dst   // [width]: the summed bias, built once, then copied to every row
    switch (a, b) {
    case let (a?, b?):
        let ap = a.pointer, bp = b.pointer
        for j in 0..<width { first[j] = ap[j] + bp[j] }
    case let (a?, nil): first.update(from: a.pointer, count: width)
    case let (nil, b?): first.update(from: b.pointer, count: width)
    case (nil, nil): first.update(repeating: 0, count: width)
    }
    for r in 1..<rows { (dst + r * width).update(from: first, count: width) }
}

/// `h_{t-1}` for every step, as one [B·T, H] matrix for the W_hh gradient GEMM:
/// row (b, 0) is h0[b], row (b, t) is y[b, t-1].
/// - Shape: y [B, T, H], h0 [B, H] → [B, T, H].
func previousHiddenStates(_ y: UnsafePointer<Float>, h0: UnsafePointer<Float>, _ d: RecurrentDimensions) -> Tensor {
    let B = d.B, T = d.T, H = d.H
    let prev = Tensor(uninitializedShape: [B, T, H])   // [B, T, H]
    let p = prev.pointer
    for b in 0..<B {
        (p + b * T * H).update(from: h0 + b * H, count: H)
        if T > 1 { (p + (b * T + 1) * H).update(from: y + b * T * H, count: (T - 1) * H) }
    }
    return prev
}

/// The weight, bias and input gradients of one recurrent layer, given the gradients of the
/// gate pre-activations at every step: four GEMMs over all B·T rows, no loop over time.
///
///     dX    += dGx · W_ih        dW_ih += dGxᵀ · X        db_ih += Σ_rows dGx
///     dW_hh += dGhᵀ · H_prev     db_hh += Σ_rows dGh
///
/// `dGx` is the gradient of the input-side pre-activation (x W_ihᵀ + b_ih) and `dGh` of the
/// hidden-side one (h W_hhᵀ + b_hh); they are the same tensor except in the GRU.
/// - Shape: dGx, dGh [B, T, G]; x [B, T, I]; y [B, T, H] (forward output); h0 [B, H].
func accumulateProjectionGradients(dGx: Tensor, dGh: Tensor, x: Tensor, y: UnsafePointer<Float>, h0: Tensor,
                                   weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
                                   _ d: RecurrentDimensions) {
    let rows = d.B * d.T, G = d.G, I = d.I, H = d.H
    x.accumulateGrad { dx in   // dX [B·T, I] += dGx [B·T, G] · W_ih [G, I]
        BLAS.gemm(transA: false, transB: false, m: rows, n: I, k: G,
                  a: dGx.pointer, lda: G, b: weightIH.pointer, ldb: I,
                  beta: 1, c: dx.baseAddress!, ldc: I)
    }
    weightIH.accumulateGrad { dW in   // dW_ih [G, I] += dGxᵀ [G, B·T] · X [B·T, I]
        BLAS.gemm(transA: true, transB: false, m: G, n: I, k: rows,
                  a: dGx.pointer, lda: G, b: x.pointer, ldb: I,
                  beta: 1, c: dW.baseAddress!, ldc: I)
    }
    if weightHH.requiresGrad {
        let hPrev = previousHiddenStates(y, h0: h0.pointer, d)   // [B·T, H]
        weightHH.accumulateGrad { dW in   // dW_hh [G, H] += dGhᵀ [G, B·T] · H_prev [B·T, H]
            BLAS.gemm(transA: true, transB: false, m: G, n: H, k: rows,
                      a: dGh.pointer, lda: G, b: hPrev.pointer, ldb: H,
                      beta: 1, c: dW.baseAddress!, ldc: H)
        }
    }
    if dGx === dGh, let biasIH, let biasHH, biasIH.requiresGrad, biasHH.requiresGrad {
        // Both biases get the same column sums (LSTM, tanh RNN): one pass over dG [B·T, G], not two.
        let sums = Tensor(shape: [G], repeating: 0)
        addColumnSums(dGx.pointer, rows: rows, width: G, into: sums.pointer)
        for bias in [biasIH, biasHH] {
            bias.accumulateGrad { db in for j in 0..<G { db[j] += sums.pointer[j] } }
        }
    } else {
        biasIH?.accumulateGrad { db in addColumnSums(dGx.pointer, rows: rows, width: G, into: db.baseAddress!) }
        biasHH?.accumulateGrad { db in addColumnSums(dGh.pointer, rows: rows, width: G, into: db.baseAddress!) }
    }
}

/// `dst[j] += Σ_r src[r, j]` over `rows` rows of `width` (a bias gradient), as `srcᵀ · 1`:
/// the loop `dst[j] += row[j]` did not vectorize (dst and src may alias) and took 1.5 % of an
/// LSTM language model's step.
func addColumnSums(_ src: UnsafePointer<Float>, rows: Int, width: Int, into dst: UnsafeMutablePointer<Float>) {
    let ones = Tensor(uninitializedShape: [rows])
    ones.pointer.update(repeating: 1, count: rows)
    BLAS.addTransposedProduct(m: rows, n: width, a: src, lda: width, x: ones.pointer, into: dst)
}
