import Testing
import SynapseCore

/// Largest |a - b| over two equal-length sequences.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Expects `actual ≈ expected` elementwise: |a - e| ≤ atol + rtol·|e|. On failure reports the
/// worst index and the max difference at the caller's source location.
public func expectClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = -1
    var worstExcess: Float = 0
    for i in actual.indices {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if !(excess <= 0), worst < 0 || excess > worstExcess || excess.isNaN { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        Issue.record("\(what): index \(worst): \(actual[worst]) vs expected \(expected[worst]); max |diff| = \(maxAbsDifference(actual, expected)) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

/// Expects two scalars to be close (see the array form).
public func expectClose(_ actual: Float, _ expected: Float, rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], rtol: rtol, atol: atol, what, sourceLocation: sourceLocation)
}

/// Central-difference gradient check.
///
/// `f` builds a scalar from `inputs` (recomputed from scratch on every call). The analytic
/// gradient from `backward()` is compared with `(f(x+h) - f(x-h)) / 2h` for every element of
/// every input, in Double arithmetic for the difference quotient. Float32 forward passes limit
/// the precision, hence the default tolerances.
public func expectGradientsMatch(_ inputs: [Tensor], h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                                 _ what: String = "",
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 _ f: () -> Tensor) {
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    let loss = f()
    loss.backward()
    let analytic = inputs.map { $0.grad?.scalars ?? [Float](repeating: 0, count: $0.count) }
    for (k, t) in inputs.enumerated() {
        var numeric = [Float](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let saved = t.pointer[i]
            t.pointer[i] = saved + h
            let plus = noGrad { Double(f().item()) }
            t.pointer[i] = saved - h
            let minus = noGrad { Double(f().item()) }
            t.pointer[i] = saved
            numeric[i] = Float((plus - minus) / (2 * Double(h)))
        }
        expectClose(analytic[k], numeric, rtol: rtol, atol: atol, "\(what) gradient of input \(k)",
                    sourceLocation: sourceLocation)
    }
}

/// A tensor of the given shape with values drawn uniformly from [low, high) by a seeded generator.
public func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, values: (0..<n).map { _ in rng.nextUniform(low, high) })
}

/// Expects an op's backward rule to ADD into a gradient that already exists, not overwrite
/// it: many rules store straight into a fresh gradient buffer (`storeOrAccumulateGrad`) and
/// take a second path when the input already has one (used twice, as in `x + f(x)`).
///
/// `f` builds a scalar from `input`. The gradient G of a first backward pass (fresh) is
/// compared with a second pass that starts from a random gradient R already in place, which
/// must end as R + G.
public func expectBackwardAccumulates(into input: Tensor, _ what: String = "",
                                      sourceLocation: SourceLocation = #_sourceLocation,
                                      _ f: () -> Tensor) {
    input.requiresGrad = true
    input.grad = nil
    f().backward()
    let fresh = input.grad?.scalars ?? []
    let existing = randomTensor(input.shape, seed: 977)
    input.grad = existing.copy()
    f().backward()
    let expected = zip(existing.scalars, fresh).map { $0 + $1 }
    expectClose(input.grad?.scalars ?? [], expected, rtol: 1e-5, atol: 1e-6, "\(what) accumulated gradient",
                sourceLocation: sourceLocation)
}
