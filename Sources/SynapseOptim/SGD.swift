import SynapseCore

/// Stochastic gradient descent, optionally with momentum (heavy ball or Nesterov) and
/// weight decay — PyTorch's `torch.optim.SGD`, same update rule and defaults.
///
/// For each step t = 1, 2, … and each trainable element θ with gradient g:
/// ```
/// g ← g + λ·θ                       if weightDecay λ ≠ 0
/// if momentum μ ≠ 0:
///     b ← g                         if t = 1   (the buffer starts AS the gradient, not at 0)
///     b ← μ·b + (1 − τ)·g           if t > 1   (τ = dampening)
///     g ← g + μ·b                   if nesterov
///     g ← b                         otherwise
/// θ ← θ − γ·g
/// ```
/// PyTorch's momentum differs from Sutskever et al. (who scale the gradient by γ inside the
/// buffer); the two agree while γ is constant.
///
/// Full-batch gradient descent is this optimizer with a batch that is the whole dataset
/// (one step per epoch); mini-batch SGD uses a smaller batch. Nothing here depends on the
/// batch: the gradients in the arena are whatever the loss averaged over.
///
/// State: `momentum_buffer` (only when momentum ≠ 0). One difference from PyTorch: the
/// "first step" is the optimizer's first step (`stepCount == 0`), not each parameter's, so
/// a parameter unfrozen later starts from a zero buffer, i.e. b = (1 − τ)·g.
///
/// Reference: https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
public final class SGD: Optimizer {
    /// The parameters this optimizer updates.
    public let arena: ParameterArena
    /// Step size γ.
    public var learningRate: Float
    /// Momentum factor μ (0 = plain SGD).
    public let momentum: Float
    /// Dampening τ of the gradient's contribution to the momentum buffer.
    public let dampening: Float
    /// L2 penalty λ added to the gradient as λ·θ (the gradient of (λ/2)·Σθ²).
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Number of steps taken so far.
    public var stepCount = 0
    private let momentumBuffer: OptimizerStateBuffer?

    /// Creates the optimizer over `arena`; PyTorch's defaults except the learning rate,
    /// which PyTorch requires too.
    /// - Throws: `OptimizerSettingError` for negative settings, or Nesterov without momentum or
    ///   with dampening (PyTorch's rule: Nesterov needs μ > 0 and τ = 0).
    public init(arena: ParameterArena, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) throws {
        try requireNonNegative(learningRate, "learningRate", of: "SGD")
        try requireNonNegative(momentum, "momentum", of: "SGD")
        try requireNonNegative(dampening, "dampening", of: "SGD")
        try requireNonNegative(weightDecay, "weightDecay", of: "SGD")
        if nesterov && momentum <= 0 {
            throw OptimizerSettingError(optimizer: "SGD", setting: "momentum", value: momentum,
                                        requirement: "must be > 0 when nesterov is on")
        }
        if nesterov && dampening != 0 {
            throw OptimizerSettingError(optimizer: "SGD", setting: "dampening", value: dampening,
                                        requirement: "must be 0 when nesterov is on")
        }
        self.arena = arena
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffer = momentum != 0 ? OptimizerStateBuffer(name: "momentum_buffer", count: arena.count) : nil
    }

    /// `momentum_buffer` when momentum ≠ 0, else nothing.
    public var stateBuffers: [OptimizerStateBuffer] { momentumBuffer.map { [$0] } ?? [] }

    /// One SGD update of every trainable parameter (see the type's documentation).
    ///
    /// The rule is split into one branch-free loop per case (first step, Nesterov, plain
    /// momentum, no momentum) so that each loop vectorizes: with the choices inside the loop
    /// the update ran 5× slower, a quarter of a whole MLP training step.
    public func step() {
        let lr = learningRate, mu = momentum, keep = 1 - dampening
        let isFirstStep = stepCount == 0
        stepCount += 1
        for (range, decays) in arena.trainableDecaySegments {
            let wd = decays ? weightDecay : 0
            let n = range.count
            let theta = arena.values.baseAddress! + range.lowerBound
            let grad = arena.grads.baseAddress! + range.lowerBound
            guard let b = momentumBuffer?.pointer(at: range.lowerBound) else {
                if wd == 0 {
                    for i in 0..<n { theta[i] -= lr * grad[i] }
                } else {
                    for i in 0..<n { theta[i] -= lr * (grad[i] + wd * theta[i]) }
                }
                continue
            }
            // d_p = g + wd·θ;  b = d_p (first step) or μ·b + (1 − τ)·d_p;  θ −= lr·(d_p + μ·b | b)
            switch (isFirstStep, nesterov, wd == 0) {
            case (true, true, _):
                for i in 0..<n { let g = grad[i] + wd * theta[i]; b[i] = g; theta[i] -= lr * (g + mu * g) }
            case (true, false, _):
                for i in 0..<n { let g = grad[i] + wd * theta[i]; b[i] = g; theta[i] -= lr * g }
            case (false, true, true):
                for i in 0..<n { let g = grad[i]; let m = mu * b[i] + keep * g; b[i] = m; theta[i] -= lr * (g + mu * m) }
            case (false, true, false):
                for i in 0..<n {
                    let g = grad[i] + wd * theta[i]; let m = mu * b[i] + keep * g; b[i] = m; theta[i] -= lr * (g + mu * m)
                }
            case (false, false, true):
                for i in 0..<n { let m = mu * b[i] + keep * grad[i]; b[i] = m; theta[i] -= lr * m }
            case (false, false, false):
                for i in 0..<n { let g = grad[i] + wd * theta[i]; let m = mu * b[i] + keep * g; b[i] = m; theta[i] -= lr * m }
            }
        }
    }
}
