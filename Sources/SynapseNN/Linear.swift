import SynapseCore

/// Fully connected layer `y = x Wᵀ + b` (PyTorch `nn.Linear`).
///
/// Initialization matches PyTorch's default: weight and bias uniform in `±1/√inFeatures`
/// (kaiming_uniform with a = √5 reduces to this bound).
/// - Shape: [N, inFeatures] → [N, outFeatures].
public final class Linear: Module {
    /// [outFeatures, inFeatures]
    public let weight: Tensor
    /// [outFeatures], or nil without bias.
    public let bias: Tensor?
    /// Input width.
    public let inFeatures: Int
    /// Output width.
    public let outFeatures: Int
    /// Where backward hands the weight gradient's factors (x, dy) instead of adding `dyᵀ · x`
    /// into `weight.grad`; nil (the default): the gradient is computed here. Data-parallel
    /// training sets it to exchange the factors across ranks (`WeightGradientFactors`).
    public var gradientFactors: (any WeightGradientFactors)? = nil

    /// Creates the layer with PyTorch's default initialization drawn from `rng`.
    public init(inputSize: Int, outputSize: Int, bias useBias: Bool = true,
                initializer: Initializer = .pytorchDefault, rng: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize)→\(outputSize)")
        inFeatures = inputSize
        outFeatures = outputSize
        weight = initializer.makeWeight(shape: [outputSize, inputSize], fanIn: inputSize,
                                        fanOut: outputSize, rng: &rng)
        bias = useBias ? Initializer.pytorchDefault.makeBias(count: outputSize, fanIn: inputSize, rng: &rng) : nil
        super.init()
        registerParameter("weight", weight)
        if let bias { registerParameter("bias", bias) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias, factors: gradientFactors)
    }
}
