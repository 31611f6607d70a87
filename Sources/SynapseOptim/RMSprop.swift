import SynapseCore

/// RMSprop: divide each gradient by a running root-mean-square of recent gradients —
/// PyTorch's `torch.optim.RMSprop`, same update rule and defaults.
///
/// For each step and each trainable element θ with gradient g:
/// ```
/// g ← g + λ·θ                              if weightDecay λ ≠ 0
/// v ← α·v + (1 − α)·g²                     (square_avg)
/// ṽ ← v
/// if centered:
///     ḡ ← α·ḡ + (1 − α)·g                  (grad_avg)
///     ṽ ← v − ḡ²                           (a variance estimate instead of a raw second moment)
/// if momentum μ > 0:
///     b ← μ·b + g / (√ṽ + ε)               (momentum_buffer, starts at 0)
///     θ ← θ − γ·b
/// else:
///     θ ← θ − γ·g / (√ṽ + ε)
/// ```
/// ε is added outside the square root (TensorFlow puts it inside). There is no bias
/// correction, so early steps are large: v starts at 0.
///
/// State: `square_avg`, plus `momentum_buffer` when μ > 0 and `grad_avg` when centered.
///
/// References: Hinton, Neural Networks for Machine Learning, lecture 6e; Graves, "Generating
/// Sequences With Recurrent Neural Networks", 2013 (centered);
/// https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
public final class RMSprop: Optimizer {
    /// The parameters this optimizer updates.
    public let arena: ParameterArena
    /// Step size γ.
    public var learningRate: Float
    /// Smoothing constant α of the running averages.
    public let alpha: Float
    /// Term ε added to the root mean square.
    public let epsilon: Float
    /// L2 penalty λ added to the gradient as λ·θ.
    public let weightDecay: Float
    /// Momentum factor μ (0 = none).
    public let momentum: Float
    /// Whether to normalize by the gradient's estimated variance instead of its second moment.
    public let centered: Bool
    /// Number of steps taken so far (RMSprop's rule does not use it; kept for checkpoints).
    public var stepCount = 0
    private let squareAverage: OptimizerStateBuffer
    private let momentumBuffer: OptimizerStateBuffer?
    private let gradientAverage: OptimizerStateBuffer?

    /// Creates the optimizer over `arena` with PyTorch's defaults.
    /// - Throws: `OptimizerSettingError` for negative settings or α outside [0, 1) (PyTorch
    ///   only rejects α < 0; α ≥ 1 would never update the average).
    public init(arena: ParameterArena, learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8,
                weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false) throws {
        try requireNonNegative(learningRate, "learningRate", of: "RMSprop")
        try requireUnitInterval(alpha, "alpha", of: "RMSprop")
        try requireNonNegative(epsilon, "epsilon", of: "RMSprop")
        try requireNonNegative(weightDecay, "weightDecay", of: "RMSprop")
        try requireNonNegative(momentum, "momentum", of: "RMSprop")
        self.arena = arena
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        squareAverage = OptimizerStateBuffer(name: "square_avg", count: arena.count)
        momentumBuffer = momentum > 0 ? OptimizerStateBuffer(name: "momentum_buffer", count: arena.count) : nil
        gradientAverage = centered ? OptimizerStateBuffer(name: "grad_avg", count: arena.count) : nil
    }

    /// `square_avg`, then `momentum_buffer` (if μ > 0), then `grad_avg` (if centered).
    public var stateBuffers: [OptimizerStateBuffer] {
        [squareAverage] + [momentumBuffer, gradientAverage].compactMap { $0 }
    }

    /// One RMSprop update of every trainable parameter (see the type's documentation).
    public func step() {
        let lr = learningRate, alpha = alpha, eps = epsilon, mu = momentum
        stepCount += 1
        for (range, decays) in arena.trainableDecaySegments {
            let wd = decays ? weightDecay : 0
            let start = range.lowerBound
            let theta = arena.values.baseAddress! + start
            let grad = arena.grads.baseAddress! + start
            let v = squareAverage.pointer(at: start)
            let b = momentumBuffer?.pointer(at: start)
            let gAvg = gradientAverage?.pointer(at: start)
            for i in 0..<range.count {
                let g = wd != 0 ? grad[i] + wd * theta[i] : grad[i]
                v[i] = alpha * v[i] + (1 - alpha) * g * g
                var varianceEstimate = v[i]
                if let gAvg {
                    gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g
                    varianceEstimate -= gAvg[i] * gAvg[i]
                }
                let rms = varianceEstimate.squareRoot() + eps
                if let b {
                    b[i] = mu * b[i] + g / rms
                    theta[i] -= lr * b[i]
                } else {
                    theta[i] -= lr * g / rms
                }
            }
        }
    }
}
