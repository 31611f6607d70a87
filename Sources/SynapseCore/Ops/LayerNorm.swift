import CKernels

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
/// do), so the backward pass recomputes x̂ instead of keeping a copy of it. The row loops are
/// C kernels (CKernels, TransformerKernels.inc: sixteen lanes with AVX-512), about twice as
/// fast as the same loops in Swift at the GPT's shapes.
/// Reference: Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450.
///
/// - Shape: x [..., C], weight [C], bias [C] → [..., C] (rows = x.count / C).
/// - Parameters:
///   - x: the rows to normalize, each of C values.
///   - weight: the per-channel scale γ.
///   - bias: the per-channel shift β.
///   - epsilon: added to the variance before the square root (PyTorch's default 1e-5).
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 1 && x.shape.last! > 0, "layerNorm: input must be [..., C] with C > 0, got \(x.shape)")
    let C = x.shape.last!, rows = x.count / C
    precondition(weight.shape == [C], "layerNorm: weight \(weight.shape) should be [\(C)] for input \(x.shape)")
    precondition(bias.shape == [C], "layerNorm: bias \(bias.shape) should be [\(C)] for input \(x.shape)")
    let y = Tensor(uninitializedShape: x.shape)
    let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
    // Two passes over each row (it is in L1): Σ(x - μ)² does not cancel like Σx² - Cμ².
    synapse_layer_norm_forward(x.pointer, weight.pointer, bias.pointer, y.pointer,
                               mean.pointer, rstd.pointer, rows, C, epsilon)
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
    let dw: UnsafeMutablePointer<Float>? = weight.requiresGrad ? weight.gradBuffer().baseAddress! : nil
    let db: UnsafeMutablePointer<Float>? = bias.requiresGrad ? bias.gradBuffer().baseAddress! : nil
    var handled = false   // one pass over the rows for dx, dweight and dbias together
    x.storeOrAccumulateGrad { dx, fresh in
        synapse_layer_norm_backward(dy.pointer, x.pointer, weight.pointer, mean.pointer, rstd.pointer,
                                    dx.baseAddress!, dw, db, rows, C, fresh ? 0 : 1)
        handled = true
    }
    if !handled && (dw != nil || db != nil) {   // x needs no gradient
        synapse_layer_norm_backward(dy.pointer, x.pointer, weight.pointer, mean.pointer, rstd.pointer,
                                    nil, dw, db, rows, C, 0)
    }
}
