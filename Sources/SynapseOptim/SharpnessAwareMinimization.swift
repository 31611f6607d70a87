import SynapseCore

/// Sharpness-aware minimization (SAM): step with the gradient taken at the worst nearby point,
/// not at the weights themselves, so training prefers flat minima (which generalize better)
/// over sharp ones.
///
/// Each optimizer step takes two gradients of the same batch:
///
///     g  = ∇L(w)                                   the ordinary gradient
///     e  = ρ · g / ‖g‖                             a step of length ρ uphill
///     w' = w + e                                   (`ascend`)
///     g' = ∇L(w')                                  the gradient at the perturbed weights
///     w  ← w, then optimizer step with g'          (`restore`, then the base optimizer)
///
/// The adaptive variant (ASAM) scales the ascent per weight by its size, so the neighbourhood
/// does not depend on how each layer happens to be scaled:
///
///     e = ρ · T² g / ‖T g‖,   T = diag(|w|)
///
/// (ASAM wants a larger ρ than SAM: 0.5 to 2 against 0.05.) The norms are over all trainable
/// gradients together; frozen parameters never move. A zero gradient gives no perturbation.
/// Computed in Double like `gradientNorm`; the ε in the denominator follows the reference
/// implementation (1e-12).
///
/// Use it between two backward passes: after the first gradient is all-reduced (so every rank
/// ascends to the same w'), and restore before the base optimizer steps. `restore` copies the
/// saved weights back, so w comes back bit for bit (w + e − e would not).
///
/// - Reference: Foret, Kleiner, Mobahi & Neyshabur, "Sharpness-Aware Minimization for
///   Efficiently Improving Generalization", ICLR 2021, arXiv:2010.01412; Kwon et al., "ASAM",
///   ICML 2021, arXiv:2102.11600.
public final class SharpnessAwareMinimization {
    /// Radius ρ of the neighbourhood, > 0.
    public let rho: Float
    /// Whether the ascent is scaled by |w| (ASAM).
    public let adaptive: Bool
    /// Whether the weights are currently perturbed (between `ascend` and `restore`).
    public private(set) var isPerturbed = false

    private let arena: ParameterArena
    /// The weights before the ascent, laid out like `arena.values`.
    private var saved: [Float]

    /// SAM over the trainable parameters of `arena`.
    public init(rho: Float, adaptive: Bool = false, arena: ParameterArena) {
        precondition(rho > 0, "SAM rho must be > 0, got \(rho)")
        self.rho = rho
        self.adaptive = adaptive
        self.arena = arena
        self.saved = Array(repeating: 0, count: arena.count)
    }

    /// Saves the weights and moves them to w + e, computed from the gradients now in
    /// `arena.grads`.
    /// - Returns: the norm ‖g‖ (‖T g‖ when adaptive) the step was scaled by; when it is zero or
    ///   not finite the weights are left where they are.
    @discardableResult
    public func ascend() -> Double {
        precondition(!isPerturbed, "SAM: ascend() twice without restore()")
        let w = arena.values.baseAddress!, g = arena.grads.baseAddress!
        _ = saved.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: arena.values) }
        isPerturbed = true
        let norm = adaptive ? scaledGradientNorm() : gradientNorm(of: arena)
        guard norm > 0 && norm.isFinite else { return norm }
        let scale = Double(rho) / (norm + 1e-12)
        for range in arena.trainableRanges {
            for i in range {
                let weight = adaptive ? Double(w[i]) * Double(w[i]) : 1
                w[i] += Float(weight * Double(g[i]) * scale)
            }
        }
        return norm
    }

    /// Puts back the weights `ascend` saved, bit for bit.
    public func restore() {
        precondition(isPerturbed, "SAM: restore() without ascend()")
        _ = arena.values.update(fromContentsOf: saved)
        isPerturbed = false
    }

    /// ASAM's ‖T g‖ = √(Σ (|w|·g)²) over the trainable parameters, in Double.
    private func scaledGradientNorm() -> Double {
        let w = arena.values.baseAddress!, g = arena.grads.baseAddress!
        var sumSquares = 0.0
        for range in arena.trainableRanges {
            for i in range {
                let scaled = Double(abs(w[i]) * g[i])
                sumSquares += scaled * scaled
            }
        }
        return sumSquares.squareRoot()
    }
}
