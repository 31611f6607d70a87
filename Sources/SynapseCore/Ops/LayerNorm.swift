/// Layer normalization over the last dimension, PyTorch's `F.layer_norm(x, [C], weight, bias,
/// eps)`: each row of C values is normalized with its own mean and BIASED variance, then
/// scaled and shifted per feature,
///
///     y = (x - mean_row) / √(var_row + ε) · weight + bias
///
/// Unlike batch norm nothing is shared across the batch, so training and evaluation compute
/// the same thing and there are no running statistics.
///
/// Fused into one op because the backward rule through the mean and variance collapses to two
/// sums per row (see `layerNormBackward`), far cheaper than differentiating a chain of
/// primitives. The forward pass saves each row's mean and 1/√(var + ε) (as PyTorch and llm.c
/// do), so the backward pass recomputes x̂ instead of keeping a copy of it.
/// Reference: Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450.
///
/// - Shape: x [..., C], weight [C], bias [C] → [..., C] (rows = x.count / C).
/// - Parameters:
///   - epsilon: added to the variance before the square root (PyTorch's default 1e-5).
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 1 && x.shape.last! > 0, "layerNorm: input must be [..., C] with C > 0, got \(x.shape)")
    let C = x.shape.last!, rows = x.count / C
    precondition(weight.shape == [C], "layerNorm: weight \(weight.shape) should be [\(C)] for input \(x.shape)")
    precondition(bias.shape == [C], "layerNorm: bias \(bias.shape) should be [\(C)] for input \(x.shape)")
    let y = Tensor(uninitializedShape: x.shape)
    let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
    let xp = x.pointer, yp = y.pointer, w = weight.pointer, b = bias.pointer
    for r in 0..<rows {
        let xr = xp + r * C, yr = yp + r * C
        let mu = contiguousSum(xr, count: C) / Float(C)
        // Two passes over the row (it is in L1): Σ(x - μ)² does not cancel like Σx² - Cμ².
        let variance = contiguousSquaredDeviation(xr, from: mu, count: C) / Float(C)
        let s = 1 / (variance + epsilon).squareRoot()
        mean.pointer[r] = mu
        rstd.pointer[r] = s
        for i in 0..<C { yr[i] = (xr[i] - mu) * s * w[i] + b[i] }
    }
    if isRecording(x, weight, bias) {
        y.record(inputs: [x, weight, bias]) { _, dy in
            layerNormBackward(dy: dy, x: x, weight: weight, bias: bias, mean: mean, rstd: rstd)
        }
    }
    return y
}

/// Backward of `layerNorm`. Per row, with x̂ = (x - μ)·rstd and g = weight ⊙ dy (the gradient
/// with respect to x̂):
///
///     dbias   += dy                      dweight += dy ⊙ x̂         (summed over rows)
///     dx       = rstd · (g - mean(g) - x̂ · mean(g ⊙ x̂))
///
/// The dx line is the chain rule through μ and rstd, both functions of the whole row: the
/// two means are the only coupling between the row's elements (the same form as llm.c's
/// `layernorm_backward`). dx is skipped when x needs no gradient.
/// - Shape: dy, x [rows, C] (any leading shape), mean, rstd [rows].
private func layerNormBackward(dy: Tensor, x: Tensor, weight: Tensor, bias: Tensor, mean: Tensor, rstd: Tensor) {
    let C = x.shape.last!, rows = x.count / C
    let xp = x.pointer, g = dy.pointer, w = weight.pointer
    let dw: UnsafeMutablePointer<Float>? = weight.requiresGrad ? weight.gradBuffer().baseAddress! : nil
    let db: UnsafeMutablePointer<Float>? = bias.requiresGrad ? bias.gradBuffer().baseAddress! : nil
    for r in 0..<rows {
        let xr = xp + r * C, gr = g + r * C, mu = mean.pointer[r], s = rstd.pointer[r]
        if let dw { for i in 0..<C { dw[i] += gr[i] * (xr[i] - mu) * s } }
        if let db { for i in 0..<C { db[i] += gr[i] } }
    }
    x.storeOrAccumulateGrad { dx, fresh in
        let dxp = dx.baseAddress!
        for r in 0..<rows {
            let xr = xp + r * C, gr = g + r * C, dxr = dxp + r * C
            let mu = mean.pointer[r], s = rstd.pointer[r]
            var sumG: Float = 0, sumGXhat: Float = 0   // Σ w·dy and Σ w·dy·x̂ over the row
            var i = 0
            var lanesG = SIMD8<Float>(), lanesGXhat = SIMD8<Float>()
            while i &+ 8 <= C {
                let gi = load8(gr, i, C) * load8(w, i, C), xhat = (load8(xr, i, C) - mu) * s
                lanesG += gi
                lanesGXhat += gi * xhat
                i &+= 8
            }
            sumG = lanesG.sum()
            sumGXhat = lanesGXhat.sum()
            while i < C {
                let gi = gr[i] * w[i]
                sumG += gi
                sumGXhat += gi * (xr[i] - mu) * s
                i &+= 1
            }
            let meanG = sumG / Float(C), meanGXhat = sumGXhat / Float(C)
            if fresh {
                for i in 0..<C { dxr[i] = s * (gr[i] * w[i] - meanG - (xr[i] - mu) * s * meanGXhat) }
            } else {
                for i in 0..<C { dxr[i] += s * (gr[i] * w[i] - meanG - (xr[i] - mu) * s * meanGXhat) }
            }
        }
    }
}

/// Σ (p[i] - center)² over `count` consecutive floats, in eight independent lanes (see
/// `contiguousSum` for why lanes).
@inline(__always)
private func contiguousSquaredDeviation(_ p: UnsafePointer<Float>, from center: Float, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    while i &+ 8 <= count {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - center
        lanes += d * d
        i &+= 8
    }
    var s = lanes.sum()
    while i < count {
        let d = p[i] - center
        s += d * d
        i &+= 1
    }
    return s
}
