/// Gaussian error linear unit, tanh approximation (GPT-2's; PyTorch's
/// `F.gelu(x, approximate='tanh')`):
///
///     y = ½ x (1 + tanh(u)),   u = √(2/π) (x + 0.044715 x³)
///     dy/dx = ½ (1 + tanh u) + ½ x (1 - tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)
///
/// Within 1e-3 of the exact `gelu` (x Φ(x)) everywhere; kept because GPT-2's weights were
/// trained with it. Reference: Hendrycks & Gimpel, arXiv:1606.08415, section 2.
///
/// Written out as two loops (like `relu`) instead of going through `pointwise`: a GPT's MLP
/// applies it to [B, T, 4C] activations in every block, and the vectorized tanh of
/// GateActivations.swift (eight lanes, a few ulp from libm) replaces a libm call and a
/// closure call per element. The derivative is computed from x, recomputing tanh u, so
/// nothing but the input is kept for backward.
/// - Shape: any → the same.
public func geluTanh(_ x: Tensor) -> Tensor {
    let sqrt2OverPi: Float = 0.797_884_560_802_865_4, cubic: Float = 0.044_715
    let y = Tensor(uninitializedShape: x.shape)
    let xs = x.pointer, ys = y.pointer, n = x.count
    var i = 0
    while i < n {
        let v = load8(xs, i, n)
        let t = gateTanh(sqrt2OverPi * (v + cubic * v * v * v))
        store8(0.5 * v * (1 + t), ys, i, n)
        i &+= 8
    }
    if isRecording(x) {
        y.record(inputs: [x]) { _, dy in
            x.storeOrAccumulateGrad { dx, fresh in
                let xs = x.pointer, g = dy.pointer, dxp = dx.baseAddress!
                var i = 0
                while i < n {
                    let v = load8(xs, i, n), v2 = v * v
                    let t = gateTanh(sqrt2OverPi * (v + cubic * v2 * v))
                    let du: SIMD8<Float> = sqrt2OverPi * (1 + (3 * cubic) * v2)   // du/dx
                    let slope: SIMD8<Float> = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du
                    let contribution = load8(g, i, n) * slope
                    store8(fresh ? contribution : load8(dxp, i, n) + contribution, dxp, i, n)
                    i &+= 8
                }
            }
        }
    }
    return y
}

