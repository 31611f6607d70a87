import SynapseCore

/// Layer normalization over the last dimension (PyTorch `nn.LayerNorm(features)`): each
/// vector is shifted to mean 0 and scaled to variance 1, then multiplied by `weight` and
/// shifted by `bias`, both learned. Unlike batch norm it looks at one sample at a time, so it
/// behaves the same in training and evaluation and on any number of ranks.
/// Reference: Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450.
///
/// Initialized like PyTorch: weight 1, bias 0.
/// - Shape: [..., features] → same.
public final class LayerNorm: Module {
    /// γ [features]
    public let weight: Tensor
    /// β [features]
    public let bias: Tensor
    /// Added to the variance before the square root (PyTorch default 1e-5).
    public let epsilon: Float

    /// Creates the layer for vectors of `features` values.
    public init(features: Int, epsilon: Float = 1e-5) {
        precondition(features > 0, "LayerNorm: features must be positive, got \(features)")
        weight = Tensor(shape: [features], repeating: 1)
        bias = Tensor.zeros([features])
        self.epsilon = epsilon
        super.init()
        registerParameter("weight", weight)
        registerParameter("bias", bias)
    }

    /// `layerNorm(x, weight, bias)` over the last dimension.
    public override func forward(_ x: Tensor) -> Tensor {
        layerNorm(x, weight: weight, bias: bias, epsilon: epsilon)
    }
}
