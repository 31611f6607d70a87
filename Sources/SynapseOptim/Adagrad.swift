import SynapseCore

/// Adagrad: each element's step shrinks with the sum of all its squared gradients so far —
/// PyTorch's `torch.optim.Adagrad`, same update rule and defaults.
///
/// For each step t = 1, 2, … and each trainable element θ with gradient g:
/// ```
/// γ̃ ← γ / (1 + (t − 1)·η)                  (η = lrDecay)
/// g ← g + λ·θ                              if weightDecay λ ≠ 0
/// s ← s + g²                               (sum, starts at initialAccumulatorValue)
/// θ ← θ − γ̃ · g / (√s + ε)
/// ```
/// ε is added after the square root. Because s only grows, the effective step keeps
/// shrinking: good for sparse features, often too cautious for deep networks.
///
/// State: `sum`.
///
/// References: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
/// Stochastic Optimization", JMLR 2011;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
public final class Adagrad: Optimizer {
    /// The parameters this optimizer updates.
    public let arena: ParameterArena
    /// Base step size γ (before `lrDecay`).
    public var learningRate: Float
    /// Learning rate decay η: step t uses γ / (1 + (t − 1)·η).
    public let lrDecay: Float
    /// L2 penalty λ added to the gradient as λ·θ.
    public let weightDecay: Float
    /// Starting value of every element of the squared-gradient sum.
    public let initialAccumulatorValue: Float
    /// Term ε added to √s.
    public let epsilon: Float
    /// Number of steps taken so far (t of the last step).
    public var stepCount = 0
    private let sum: OptimizerStateBuffer

    /// Creates the optimizer over `arena` with PyTorch's defaults.
    /// - Throws: `OptimizerSettingError` for any negative setting.
    public init(arena: ParameterArena, learningRate: Float = 1e-2, lrDecay: Float = 0, weightDecay: Float = 0,
                initialAccumulatorValue: Float = 0, epsilon: Float = 1e-10) throws {
        try requireNonNegative(learningRate, "learningRate", of: "Adagrad")
        try requireNonNegative(lrDecay, "lrDecay", of: "Adagrad")
        try requireNonNegative(weightDecay, "weightDecay", of: "Adagrad")
        try requireNonNegative(initialAccumulatorValue, "initialAccumulatorValue", of: "Adagrad")
        try requireNonNegative(epsilon, "epsilon", of: "Adagrad")
        self.arena = arena
        self.learningRate = learningRate
        self.lrDecay = lrDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        sum = OptimizerStateBuffer(name: "sum", count: arena.count, initialValue: initialAccumulatorValue)
    }

    /// `sum`, the running sum of squared gradients.
    public var stateBuffers: [OptimizerStateBuffer] { [sum] }

    /// One Adagrad update of every trainable parameter (see the type's documentation).
    public func step() {
        stepCount += 1
        // In Double like PyTorch's Python arithmetic, then one rounding to Float.
        let clr = Float(Double(learningRate) / (1 + Double(stepCount - 1) * Double(lrDecay)))
        let eps = epsilon
        for (range, decays) in arena.trainableDecaySegments {
            let wd = decays ? weightDecay : 0
            let theta = arena.values.baseAddress! + range.lowerBound
            let grad = arena.grads.baseAddress! + range.lowerBound
            let s = sum.pointer(at: range.lowerBound)
            for i in 0..<range.count {
                let g = wd != 0 ? grad[i] + wd * theta[i] : grad[i]
                s[i] += g * g
                theta[i] -= clr * g / (s[i].squareRoot() + eps)
            }
        }
    }
}
