import Testing
import SynapseCore
import SynapseTestSupport

/// Inverted dropout: statistics of the mask, the gradient through the same mask, determinism.
@Suite struct DropoutOpTests {
    @Test func zeroProbabilityIsIdentity() {
        var rng = RandomGenerator(seed: 1)
        let x = randomTensor([4, 5], seed: 2)
        #expect(dropout(x, p: 0, rng: &rng).scalars == x.scalars)
    }

    @Test func dropsAboutPAndScalesSurvivors() {
        // p = 0.25 on 100 000 ones: ≈ 25 % zeros (binomial sd ≈ 0.14 %), survivors = 1/0.75,
        // so the mean stays ≈ 1 (that is what "inverted" dropout is for).
        var rng = RandomGenerator(seed: 3, stream: RandomGenerator.Stream.dropout)
        let n = 100_000
        let y = dropout(Tensor(shape: [n], repeating: 1), p: 0.25, rng: &rng).scalars
        let zeros = y.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / Double(n) - 0.25) < 0.01)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        expectClose(y.reduce(0, +) / Float(n), 1, rtol: 0.02)
    }

    @Test func gradientUsesTheForwardMask() {
        // y = x ⊙ m, so dx = dy ⊙ m = dy ⊙ y / x: zero exactly where y was dropped, and
        // dy/(1 - p) elsewhere. (This caught the mask being freed before backward ran.)
        var rng = RandomGenerator(seed: 4)
        let x = Tensor(shape: [1000], repeating: 2)
        x.requiresGrad = true
        let y = dropout(x, p: 0.5, rng: &rng)
        let ys = y.scalars
        y.backward(gradient: Tensor(shape: [1000], repeating: 3))
        let dx = x.grad!.scalars
        let wrong = (0..<1000).filter { i in
            let expected: Float = ys[i] == 0 ? 0 : 3 * 2   // 3 · 1/(1 - 0.5)
            return dx[i] != expected
        }
        #expect(wrong.count == 0, "indices where dx does not follow the forward mask: \(wrong.prefix(5))")
        #expect(ys.contains(0) && ys.contains(4))
    }

    @Test func sameSeedSameMaskAndGeneratorAdvances() {
        let x = Tensor(shape: [256], repeating: 1)
        var r1 = RandomGenerator(seed: 5), r2 = RandomGenerator(seed: 5)
        let a = dropout(x, p: 0.5, rng: &r1).scalars
        #expect(a == dropout(x, p: 0.5, rng: &r2).scalars)
        #expect(a != dropout(x, p: 0.5, rng: &r1).scalars, "a second call must draw a new mask")
    }

    @Test func gradientCheck() {
        // The generator is re-created inside f, so every evaluation uses the same mask.
        let x = randomTensor([3, 7], seed: 6)
        expectGradientsMatch([x], "dropout") {
            var rng = RandomGenerator(seed: 7)
            return weightedSum(dropout(x, p: 0.4, rng: &rng), seed: 8)
        }
    }
}
