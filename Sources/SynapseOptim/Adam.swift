#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SynapseCore

/// Adam: per-element step sizes from running averages of the gradient and its square —
/// PyTorch's `torch.optim.Adam` (without amsgrad), same update rule and defaults.
///
/// For each step t = 1, 2, … and each trainable element θ with gradient g:
/// ```
/// g ← g + λ·θ                              if weightDecay λ ≠ 0   (L2 penalty, coupled)
/// m ← β₁·m + (1 − β₁)·g                    (exp_avg)
/// v ← β₂·v + (1 − β₂)·g²                   (exp_avg_sq)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// which is the paper's θ − γ·m̂/(√v̂ + ε) with m̂, v̂ the bias-corrected moments, written the
/// way PyTorch evaluates it (ε is added after dividing by √(1 − β₂ᵗ)). The bias corrections
/// are computed in Double from `stepCount`, as PyTorch does in Python.
///
/// With Adam the L2 penalty is scaled by the adaptive step like the rest of the gradient,
/// so it is weaker for parameters with large gradients; `AdamW` decouples it.
///
/// State: `exp_avg`, `exp_avg_sq` (both start at 0). One difference from PyTorch: t counts
/// the optimizer's steps, not each parameter's, so a parameter unfrozen later gets the
/// bias correction of the current step.
///
/// References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015;
/// https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
public final class Adam: Optimizer {
    /// The parameters this optimizer updates.
    public let arena: ParameterArena
    /// Step size γ.
    public var learningRate: Float
    /// Decay rates (β₁, β₂) of the first and second moment averages.
    public let betas: (Float, Float)
    /// Term ε added to the denominator for numerical stability.
    public let epsilon: Float
    /// L2 penalty λ added to the gradient as λ·θ.
    public let weightDecay: Float
    /// Number of steps taken so far (t of the last step).
    public var stepCount = 0
    private let moments: AdamMoments

    /// Creates the optimizer over `arena` with PyTorch's defaults.
    /// - Throws: `OptimizerSettingError` for a negative learning rate, ε or weight decay, or a
    ///   beta outside [0, 1).
    public init(arena: ParameterArena, learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 0) throws {
        try validateAdamSettings("Adam", learningRate, betas, epsilon, weightDecay)
        self.arena = arena
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        moments = AdamMoments(count: arena.count)
    }

    /// `exp_avg` (m) and `exp_avg_sq` (v).
    public var stateBuffers: [OptimizerStateBuffer] { [moments.expAvg, moments.expAvgSq] }

    /// One Adam update of every trainable parameter (see the type's documentation).
    public func step() {
        stepCount += 1
        moments.update(arena, step: stepCount, learningRate: learningRate, betas: betas, epsilon: epsilon,
                       l2Penalty: weightDecay, decoupledDecay: 0)
    }
}

/// Adam's two moment buffers and its update loop, shared by `Adam` and `AdamW`.
final class AdamMoments {
    /// m, the running average of gradients.
    let expAvg: OptimizerStateBuffer
    /// v, the running average of squared gradients.
    let expAvgSq: OptimizerStateBuffer

    init(count: Int) {
        expAvg = OptimizerStateBuffer(name: "exp_avg", count: count)
        expAvgSq = OptimizerStateBuffer(name: "exp_avg_sq", count: count)
    }

    /// Step t of Adam over the arena's trainable ranges. `l2Penalty` is Adam's coupled weight
    /// decay (added to g); `decoupledDecay` is AdamW's (θ ← θ − γ·λ·θ before the Adam step).
    func update(_ arena: ParameterArena, step t: Int, learningRate lr: Float, betas: (Float, Float),
                epsilon eps: Float, l2Penalty: Float, decoupledDecay: Float) {
        let (beta1, beta2) = betas
        let biasCorrection1 = 1 - pow(Double(beta1), Double(t))
        let biasCorrection2 = 1 - pow(Double(beta2), Double(t))
        let stepSize = Float(Double(lr) / biasCorrection1)
        let biasCorrection2Sqrt = Float(biasCorrection2.squareRoot())
        // PyTorch AdamW multiplies θ by (1 − γλ), computed in double precision.
        for (range, decays) in arena.trainableDecaySegments {
            let shrink = decays ? Float(1 - Double(lr) * Double(decoupledDecay)) : 1
            let l2Penalty = decays ? l2Penalty : 0
            let theta = arena.values.baseAddress! + range.lowerBound
            let grad = arena.grads.baseAddress! + range.lowerBound
            let m = expAvg.pointer(at: range.lowerBound)
            let v = expAvgSq.pointer(at: range.lowerBound)
            // No branches in the loop, so it vectorizes: with no decay, shrink = 1 and
            // l2Penalty = 0 leave θ and g unchanged (exactly, for finite values). On Linux
            // `squareRoot()` keeps a call to libm's sqrtf for negative inputs (to set errno),
            // which kept the whole loop scalar; `max(v, 0)` (v ≥ 0 or NaN: the same value)
            // shows the compiler that branch is dead, and the loop runs on vectors.
            for i in 0..<range.count {
                theta[i] *= shrink
                let g = grad[i] + l2Penalty * theta[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let denominator = max(v[i], 0).squareRoot() / biasCorrection2Sqrt + eps
                theta[i] -= stepSize * m[i] / denominator
            }
        }
    }
}

/// The checks PyTorch's Adam and AdamW make on their settings.
func validateAdamSettings(_ optimizer: String, _ learningRate: Float, _ betas: (Float, Float),
                          _ epsilon: Float, _ weightDecay: Float) throws {
    try requireNonNegative(learningRate, "learningRate", of: optimizer)
    try requireUnitInterval(betas.0, "betas.0", of: optimizer)
    try requireUnitInterval(betas.1, "betas.1", of: optimizer)
    try requireNonNegative(epsilon, "epsilon", of: optimizer)
    try requireNonNegative(weightDecay, "weightDecay", of: optimizer)
}
