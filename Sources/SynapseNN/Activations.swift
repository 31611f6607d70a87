import SynapseCore

/// `relu` as a layer. - Shape: any → same.
public final class ReLU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { relu(x) }
}

/// `leakyRelu` as a layer (PyTorch default slope 0.01). - Shape: any → same.
public final class LeakyReLU: Module {
    /// Slope for negative inputs.
    public let negativeSlope: Float
    /// Creates the layer with the slope for negative inputs.
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { leakyRelu(x, negativeSlope: negativeSlope) }
}

/// `sigmoid` as a layer. - Shape: any → same.
public final class Sigmoid: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { sigmoid(x) }
}

/// `tanh` as a layer. - Shape: any → same.
public final class Tanh: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { SynapseCore.tanh(x) }
}

/// `gelu` (exact erf form) as a layer. - Shape: any → same.
public final class GELU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { gelu(x) }
}

/// `softmax` over the last dimension as a layer. - Shape: [..., C] → same.
public final class Softmax: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { softmax(x) }
}

/// Flattens [N, d1, d2, ...] to [N, d1·d2·…]. - Shape: [N, ...] → [N, features].
public final class Flatten: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.reshaped(to: [x.shape[0], -1]) }
}

/// Inverted dropout as a layer: active in training mode, the identity in evaluation mode.
/// Draws its mask from its own generator, seeded per purpose by the trainer.
public final class Dropout: Module, RandomizedModule {
    /// Probability of zeroing an element.
    public let p: Float
    /// The mask generator; training reseeds it at every step from (seed, step, rank, layer).
    public var rng: RandomGenerator

    /// Creates the layer; `p` is in [0, 1).
    public init(p: Float = 0.5, rng: RandomGenerator = RandomGenerator(seed: 0, stream: RandomGenerator.Stream.dropout)) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.rng = rng
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        isTraining ? dropout(x, p: p, rng: &rng) : x
    }
}

/// `geluTanh` (GPT-2's tanh approximation, PyTorch `nn.GELU(approximate='tanh')`) as a layer.
/// - Shape: any → same.
public final class GELUTanh: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { geluTanh(x) }
}
