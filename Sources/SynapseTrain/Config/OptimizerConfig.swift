/// The optimizer and its hyperparameters: the `optimizer:` section.
///
/// Names and defaults follow PyTorch's `torch.optim`. Three defaults depend on the optimizer and
/// are filled in by `init(name:)`, which decoding uses too (`Config(defaultsFollowing:)`), so
/// every property always holds the value that will be used and `Config.resolvedYAML()` records it:
///
/// | name    | lr    | weight_decay | eps   |
/// |---------|-------|--------------|-------|
/// | sgd     | 0.01  | 0            | 1e-8 (unused) |
/// | adam    | 0.001 | 0            | 1e-8  |
/// | adamw   | 0.001 | 0.01         | 1e-8  |
/// | rmsprop | 0.01  | 0            | 1e-8  |
/// | adagrad | 0.01  | 0            | 1e-10 |
///
/// A hyperparameter the chosen optimizer does not use (momentum for adam, betas for sgd, ...)
/// must keep its default: a config that sets it is rejected rather than silently ignored.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    /// The update rule.
    public enum Name: String, Codable, CaseIterable, Sendable {
        /// Stochastic gradient descent with optional (Nesterov) momentum (PyTorch `optim.SGD`).
        case sgd
        /// Adam, Kingma & Ba 2015, arXiv:1412.6980; weight decay added to the gradient (`optim.Adam`).
        case adam
        /// AdamW, Loshchilov & Hutter 2019, arXiv:1711.05101; decoupled weight decay (`optim.AdamW`).
        case adamw
        /// RMSprop, Hinton's lecture 6e (`optim.RMSprop`).
        case rmsprop
        /// AdaGrad, Duchi et al. 2011 (`optim.Adagrad`).
        case adagrad

        /// PyTorch's default learning rate for this optimizer (0.01 for sgd, whose PyTorch lr has no default).
        public var defaultLearningRate: Float {
            switch self {
            case .adam, .adamw: 0.001
            case .sgd, .rmsprop, .adagrad: 0.01
            }
        }

        /// PyTorch's default weight decay: 0.01 for AdamW, 0 otherwise.
        public var defaultWeightDecay: Float { self == .adamw ? 0.01 : 0 }

        /// PyTorch's default epsilon: 1e-10 for Adagrad, 1e-8 otherwise.
        public var defaultEps: Float { self == .adagrad ? 1e-10 : 1e-8 }
    }

    /// Update rule (`name`). Default `sgd`.
    public var name: Name
    /// Learning rate (`lr`), > 0. Default: `name.defaultLearningRate`.
    public var lr: Float
    /// Momentum factor, sgd and rmsprop (`momentum`). Default 0.
    public var momentum: Float = 0
    /// Dampening for momentum, sgd (`dampening`). Default 0.
    public var dampening: Float = 0
    /// Nesterov momentum, sgd; needs momentum > 0 and dampening 0 (`nesterov`). Default false.
    public var nesterov = false
    /// Weight decay (`weight_decay`): L2 added to the gradient, or decoupled for adamw.
    /// Default: `name.defaultWeightDecay`.
    public var weightDecay: Float
    /// Which parameters `weight_decay` acts on (`weight_decay_on`): `all`, or `matrices`, the
    /// tensors of rank ≥ 2 (weights and embedding tables; not biases or norm gains and
    /// shifts), nanoGPT's two parameter groups. Default all (PyTorch's single group).
    public var weightDecayOn = WeightDecayScope.all
    /// Adam's (β1, β2), decay rates of the first and second moment estimates (`betas`). Default [0.9, 0.999].
    public var betas: [Float] = [0.9, 0.999]
    /// Term added to the denominator for numerical stability (`eps`). Default: `name.defaultEps`.
    public var eps: Float
    /// RMSprop's smoothing constant (`alpha`). Default 0.99.
    public var alpha: Float = 0.99
    /// RMSprop: normalize by the centered second moment (an estimate of the variance) (`centered`). Default false.
    public var centered = false
    /// Adagrad's learning-rate decay (`lr_decay`). Default 0.
    public var lrDecay: Float = 0
    /// Coefficient of an L1 penalty `l1 · Σ|w|` added to the loss (`l1`). Default 0.
    public var l1: Float = 0
    /// Coefficient of an L2 penalty `l2 · Σw²` added to the loss (`l2`). Default 0.
    /// Unlike `weight_decay` it is part of the reported loss.
    public var l2: Float = 0

    /// The parameters weight decay shrinks.
    public enum WeightDecayScope: String, Codable, CaseIterable, Sendable {
        /// Every trainable parameter.
        case all
        /// Parameters of rank ≥ 2 only (matrices, convolution kernels, embedding tables).
        case matrices
    }

    /// The defaults for optimizer `name`: `lr`, `weightDecay` and `eps` from the type's table,
    /// every other hyperparameter the value documented on its property.
    public init(name: Name = .sgd) {
        self.name = name
        lr = name.defaultLearningRate
        weightDecay = name.defaultWeightDecay
        eps = name.defaultEps
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, lr, momentum, dampening, nesterov
        case weightDecay = "weight_decay"
        case weightDecayOn = "weight_decay_on"
        case betas, eps, alpha, centered
        case lrDecay = "lr_decay"
        case l1, l2
    }
}
