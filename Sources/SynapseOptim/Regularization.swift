import SynapseCore

/// L1 and L2 penalties on the parameters, added to the gradients before the optimizer's rule.
///
/// Convention: the penalty added to the loss is
/// ```
/// R(θ) = l1·Σ|θ| + (l2/2)·Σθ²
/// ```
/// so its gradient is l1·sign(θ) + l2·θ. With this (l2/2) convention, `l2` here equals the
/// `weightDecay` of `SGD` (and of `Adam`, `RMSprop`, `Adagrad`): `Regularization(l2: λ)` with a
/// plain optimizer gives exactly the same steps as the optimizer's own `weightDecay: λ`
/// (not AdamW's decoupled decay). sign(0) = 0, the subgradient PyTorch's `torch.sign` picks.
///
/// Like PyTorch's `weight_decay`, the penalty covers every trainable parameter, biases and
/// normalization scales included; frozen parameters are neither penalized nor counted.
///
/// Use: after the backward pass (and after the gradient all-reduce, so every rank adds the
/// same penalty once), call `apply(to:)`, then clip, then `step()`. Log
/// `loss + penalty(of:)` as the total loss.
///
/// Reference: Goodfellow, Bengio & Courville, "Deep Learning", §7.1.
public struct Regularization: Sendable, Equatable {
    /// Weight of the L1 term l1·Σ|θ|.
    public let l1: Float
    /// Weight of the L2 term (l2/2)·Σθ².
    public let l2: Float

    /// No penalty at all.
    public static let none = Regularization(unchecked: 0, 0)

    /// A penalty l1·Σ|θ| + (l2/2)·Σθ².
    /// - Throws: `OptimizerSettingError` if either weight is negative (or NaN).
    public init(l1: Float = 0, l2: Float = 0) throws {
        try requireNonNegative(l1, "l1", of: "Regularization")
        try requireNonNegative(l2, "l2", of: "Regularization")
        self.init(unchecked: l1, l2)
    }

    private init(unchecked l1: Float, _ l2: Float) {
        self.l1 = l1
        self.l2 = l2
    }

    /// Whether both weights are zero (applying it would change nothing).
    public var isNone: Bool { l1 == 0 && l2 == 0 }

    /// Adds the penalty's gradient l1·sign(θ) + l2·θ to `arena.grads` for every trainable
    /// parameter.
    public func apply(to arena: ParameterArena) {
        guard !isNone else { return }
        let l1 = l1, l2 = l2
        for range in arena.trainableRanges {
            let theta = arena.values.baseAddress! + range.lowerBound
            let grad = arena.grads.baseAddress! + range.lowerBound
            for i in 0..<range.count {
                let w = theta[i]
                let sign: Float = w > 0 ? 1 : (w < 0 ? -1 : 0)
                grad[i] += l1 * sign + l2 * w
            }
        }
    }

    /// The penalty value l1·Σ|θ| + (l2/2)·Σθ² over the trainable parameters, summed in Double.
    public func penalty(of arena: ParameterArena) -> Double {
        guard !isNone else { return 0 }
        var sumAbs = 0.0, sumSquares = 0.0
        for range in arena.trainableRanges {
            for i in range {
                let w = Double(arena.values[i])
                sumAbs += abs(w)
                sumSquares += w * w
            }
        }
        return Double(l1) * sumAbs + Double(l2) / 2 * sumSquares
    }
}
