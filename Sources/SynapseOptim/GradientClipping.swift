import SynapseCore

/// The global L2 norm √(Σ g²) of all trainable gradients in the arena, accumulated in Double.
///
/// Frozen parameters are left out, as PyTorch leaves out parameters without a gradient.
public func gradientNorm(of arena: ParameterArena) -> Double {
    var sumSquares = 0.0
    for range in arena.trainableRanges {
        // Σ g² in Double, in independent lanes (one dependent add per value ran at ~4 cycles each)
        let grad = UnsafePointer(arena.grads.baseAddress! + range.lowerBound)
        sumSquares += contiguousSumAndDot(grad, grad, shift: 0, count: range.count).dot
    }
    return sumSquares.squareRoot()
}

/// Scales all trainable gradients down so that their global L2 norm is at most `maxNorm`,
/// with the semantics of PyTorch's `torch.nn.utils.clip_grad_norm_`.
///
/// The total norm is computed over all trainable gradients together (not per parameter), in
/// Double. If `maxNorm / (totalNorm + 1e-6) < 1`, every gradient is multiplied by that
/// factor (the 1e-6 keeps the division safe and leaves the clipped norm just under
/// `maxNorm`); otherwise nothing changes. The direction of the update is preserved.
///
/// If the total norm is not finite (an overflow or a NaN somewhere), the gradients are left
/// as they are and the non-finite norm is returned: the caller must check it and skip the
/// step on every rank (PyTorch would scale everything to NaN instead).
///
/// In data-parallel training call this after the gradient all-reduce, so every rank clips the
/// same gradients by the same factor.
///
/// - Parameters:
///   - arena: the parameters whose `grads` are clipped in place.
///   - maxNorm: the largest allowed global norm; must be > 0 (validate user config first).
/// - Returns: the total norm before clipping (useful to log).
/// - Reference: Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural
///   networks", 2013; https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
@discardableResult
public func clipGradientNorm(of arena: ParameterArena, maxNorm: Float) -> Double {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be > 0, got \(maxNorm)")
    let totalNorm = gradientNorm(of: arena)
    guard totalNorm.isFinite else { return totalNorm }
    let clipCoefficient = Double(maxNorm) / (totalNorm + 1e-6)
    guard clipCoefficient < 1 else { return totalNorm }
    let factor = Float(clipCoefficient)
    for range in arena.trainableRanges {
        let grad = arena.grads.baseAddress! + range.lowerBound
        for i in 0..<range.count { grad[i] *= factor }
    }
    return totalNorm
}
