import SynapseCore

/// A scalar that depends on every element of `y` with a different weight:
/// `sum(y ⊙ R)` for a fixed random `R` of y's shape drawn from `seed`.
///
/// Gradient checks need a scalar loss; plain `sum(y)` would give every element the same
/// upstream gradient 1 and hide transposition or indexing mistakes in backward rules.
public func weightedSum(_ y: Tensor, seed: UInt64) -> Tensor {
    sum(multiply(y, randomTensor(y.shape, seed: seed)))
}

/// A random tensor (see `randomTensor`) whose values all satisfy `|x| ≥ margin`, so that a
/// central difference of step `h < margin` never straddles a kink at 0 (ReLU, |x|).
public func randomTensorAwayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1,
                                     low: Float = -2, high: Float = 2) -> Tensor {
    let t = randomTensor(shape, seed: seed, low: low, high: high)
    for i in 0..<t.count where abs(t.pointer[i]) < margin {
        t.pointer[i] = t.pointer[i] < 0 ? -margin - abs(t.pointer[i]) : margin + t.pointer[i]
    }
    return t
}
