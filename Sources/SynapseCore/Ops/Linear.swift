/// Affine map `y = x · Wᵀ + b`, the op behind `Linear` layers (PyTorch's `F.linear`).
///
/// Fused (matmul + bias in one op) because the bias add and its gradient (a column sum) are
/// cheap loops over the GEMM output, and one record on the tape beats two.
///
/// With `factors`, backward hands (x, dy) to it instead of adding `dyᵀ · x` into the weight's
/// gradient (`WeightGradientFactors`: data-parallel training may exchange the factors).
///
/// - Shape: x [N, inFeatures], weight [outFeatures, inFeatures], bias [outFeatures]
///   → y [N, outFeatures].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, factors: (any WeightGradientFactors)? = nil) -> Tensor {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape) (expected [N, \(weight.shape.last ?? 0)])")
    let N = x.shape[0], inF = x.shape[1], outF = weight.shape[0]
    let y = Tensor(uninitializedShape: [N, outF])
    if let bias {
        precondition(bias.shape == [outF], "linear: bias \(bias.shape) should be [\(outF)]")
        // Fill each row with the bias, then accumulate x·Wᵀ on top (beta = 1).
        let b = bias.pointer, yp = y.pointer
        for n in 0..<N { (yp + n * outF).update(from: b, count: outF) }
    }
    BLAS.gemm(transA: false, transB: true, m: N, n: outF, k: inF,
              a: x.pointer, lda: inF, b: weight.pointer, ldb: inF,
              beta: bias == nil ? 0 : 1, c: y.pointer, ldc: outF)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        y.record(inputs: inputs) { _, dy in
            linearBackward(dy: dy, x: x, weight: weight, bias: bias, factors: factors)
        }
    }
    return y
}

/// Backward of `linear`: dx += dy·W, dW += dyᵀ·x, db += Σₙ dy[n]. Accumulates (beta = 1),
/// except into a fresh dx, which the GEMM writes directly (beta 0: no zero-fill first).
/// Skips the input gradient when x does not need one (the first layer: saves a third of
/// the backward FLOPs). With `factors`, the weight's part is handed over as (x, dy).
func linearBackward(dy: Tensor, x: Tensor, weight: Tensor, bias: Tensor?, factors: (any WeightGradientFactors)? = nil) {
    let N = x.shape[0], inF = x.shape[1], outF = weight.shape[0]
    x.storeOrAccumulateGrad { dx, fresh in
        // dx [N, in] (+)= dy [N, out] · W [out, in]
        BLAS.gemm(transA: false, transB: false, m: N, n: inF, k: outF,
                  a: dy.pointer, lda: outF, b: weight.pointer, ldb: inF,
                  beta: fresh ? 0 : 1, c: dx.baseAddress!, ldc: inF)
    }
    if let factors, weight.requiresGrad {
        factors.append(input: x, outputGradient: dy)
    } else {
        weight.accumulateGrad { dW in
            // dW [out, in] += dyᵀ [out, N] · x [N, in]
            BLAS.gemm(transA: true, transB: false, m: outF, n: inF, k: N,
                      a: dy.pointer, lda: outF, b: x.pointer, ldb: inF,
                      beta: 1, c: dW.baseAddress!, ldc: inF)
        }
    }
    bias?.accumulateGrad { db in
        let g = dy.pointer
        for n in 0..<N {
            let row = g + n * outF
            for o in 0..<outF { db[o] += row[o] }
        }
    }
}

/// Matrix product `a · b`.
/// - Shape: a [M, K], b [K, N] → [M, N].
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0],
                 "matmul: shapes \(a.shape) and \(b.shape) do not chain")
    let M = a.shape[0], K = a.shape[1], N = b.shape[1]
    let c = Tensor(uninitializedShape: [M, N])
    BLAS.gemm(transA: false, transB: false, m: M, n: N, k: K,
              a: a.pointer, lda: K, b: b.pointer, ldb: N, c: c.pointer, ldc: N)
    if isRecording(a, b) {
        c.record(inputs: [a, b]) { _, dc in
            a.accumulateGrad { da in   // da [M, K] += dc [M, N] · bᵀ [N, K]
                BLAS.gemm(transA: false, transB: true, m: M, n: K, k: N,
                          a: dc.pointer, lda: N, b: b.pointer, ldb: N,
                          beta: 1, c: da.baseAddress!, ldc: K)
            }
            b.accumulateGrad { db in   // db [K, N] += aᵀ [K, M] · dc [M, N]
                BLAS.gemm(transA: true, transB: false, m: K, n: N, k: M,
                          a: a.pointer, lda: K, b: dc.pointer, ldb: N,
                          beta: 1, c: db.baseAddress!, ldc: N)
            }
        }
    }
    return c
}
