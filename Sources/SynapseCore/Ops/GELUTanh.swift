import CKernels

/// Gaussian error linear unit, tanh approximation (GPT-2's; PyTorch's
/// `F.gelu(x, approximate='tanh')`):
///
///     y = ½ x (1 + tanh(u)),   u = √(2/π) (x + 0.044715 x³)
///     dy/dx = ½ (1 + tanh u) + ½ x (1 - tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)
///
/// Within 1e-3 of the exact `gelu` (x Φ(x)) everywhere; kept because GPT-2's weights were
/// trained with it. Reference: Hendrycks & Gimpel, arXiv:1606.08415, section 2.
///
/// Written out as two loops (like `relu`) instead of going through `pointwise`, and in C
/// (CKernels: sixteen lanes with AVX-512, the tanh formula of GateActivations.swift,
/// a few ulp from libm): a GPT's MLP applies it to [B, T, 4C] activations in every block. On
/// [12, 64, 512] forward + backward took 1.0 ms against 3.8 ms for the same loops on Swift's
/// SIMD8 and 2.3 ms for PyTorch's (one thread, 2026-12-01). The derivative is computed from x,
/// recomputing tanh u, so nothing but the input is kept for backward.
/// - Shape: any → the same.
public func geluTanh(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitializedShape: x.shape)
    synapse_gelu_tanh_forward(x.pointer, y.pointer, x.count)
    if isRecording(x) {
        y.record(inputs: [x]) { _, dy in
            x.storeOrAccumulateGrad { dx, fresh in
                synapse_gelu_tanh_backward(x.pointer, dy.pointer, dx.baseAddress!, x.count, fresh ? 0 : 1)
            }
        }
    }
    return y
}
