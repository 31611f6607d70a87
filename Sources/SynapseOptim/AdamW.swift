import SynapseCore

/// Adam with decoupled weight decay — PyTorch's `torch.optim.AdamW` (without amsgrad), same
/// update rule and defaults.
///
/// For each step t = 1, 2, … and each trainable element θ with gradient g:
/// ```
/// θ ← θ − γ·λ·θ                            (decay first, on the old θ; never touches m or v)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// The first line is evaluated as θ·(1 − γλ), as PyTorch does. Unlike `Adam`'s L2 penalty,
/// the decay is not rescaled by the adaptive step, so every parameter shrinks by the same
/// factor per step (Loshchilov & Hutter). The default λ is 0.01, not 0.
///
/// State: `exp_avg`, `exp_avg_sq`, as `Adam` (same per-parameter step count difference).
///
/// References: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019;
/// https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
public final class AdamW: Optimizer {
    /// The parameters this optimizer updates.
    public let arena: ParameterArena
    /// Step size γ.
    public var learningRate: Float
    /// Decay rates (β₁, β₂) of the first and second moment averages.
    public let betas: (Float, Float)
    /// Term ε added to the denominator for numerical stability.
    public let epsilon: Float
    /// Decoupled weight decay λ: each step multiplies θ by (1 − γλ).
    public let weightDecay: Float
    /// Number of steps taken so far (t of the last step).
    public var stepCount = 0
    private let moments: AdamMoments

    /// Creates the optimizer over `arena` with PyTorch's defaults.
    /// - Throws: `OptimizerSettingError` for a negative learning rate, ε or weight decay, or a
    ///   beta outside [0, 1).
    public init(arena: ParameterArena, learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 1e-2) throws {
        try validateAdamSettings("AdamW", learningRate, betas, epsilon, weightDecay)
        self.arena = arena
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        moments = AdamMoments(count: arena.count)
    }

    /// `exp_avg` (m) and `exp_avg_sq` (v).
    public var stateBuffers: [OptimizerStateBuffer] { [moments.expAvg, moments.expAvgSq] }

    /// One AdamW update of every trainable parameter (see the type's documentation).
    public func step() {
        stepCount += 1
        moments.update(arena, step: stepCount, learningRate: learningRate, betas: betas, epsilon: epsilon,
                       l2Penalty: 0, decoupledDecay: weightDecay)
    }
}
