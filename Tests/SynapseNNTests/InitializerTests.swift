import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Initializers: the variance each scheme promises (torch.nn.init formulas), over big tensors.
@Suite struct InitializerTests {
    /// Mean, variance, fraction within one standard deviation, and max |x| of a weight.
    func statistics(_ scheme: Initializer, fanIn: Int, fanOut: Int)
        -> (mean: Double, variance: Double, within1sd: Double, maxAbs: Double) {
        var rng = RandomGenerator(seed: 12, stream: RandomGenerator.Stream.initialization)
        let w = scheme.makeWeight(shape: [fanOut, fanIn], fanIn: fanIn, fanOut: fanOut, rng: &rng)
        let v = w.scalars.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
        let sd = variance.squareRoot()
        let within = Double(v.filter { abs($0 - mean) < sd }.count) / Double(v.count)
        return (mean, variance, within, v.map(abs).max()!)
    }

    // fanIn 512, fanOut 256: 131 072 draws, so the sample variance is within ~1 % (normal)
    // or ~0.6 % (uniform) at one sd; the tolerance below is 3 %.
    static let fanIn = 512, fanOut = 256

    /// (scheme, expected variance for fanIn 512 / fanOut 256, whether it is a normal).
    static let expectations: [(Initializer, Double, Bool)] = [
        (.pytorchDefault, 1.0 / (3.0 * 512), false),   // U(±1/√in): a²/3
        (.heUniform, 2.0 / 512, false),                // U(±√(6/in)): 2/in
        (.heNormal, 2.0 / 512, true),                  // N(0, 2/in)
        (.xavierUniform, 2.0 / 768, false),            // U(±√(6/(in+out))): 2/(in+out)
        (.xavierNormal, 2.0 / 768, true),              // N(0, 2/(in+out))
    ]

    @Test(arguments: expectations)
    func varianceMatchesFormula(scheme: Initializer, expectedVariance: Double, isNormal: Bool) {
        let s = statistics(scheme, fanIn: Self.fanIn, fanOut: Self.fanOut)
        #expect(abs(s.mean) < 0.05 * expectedVariance.squareRoot(), "\(scheme) mean \(s.mean)")
        #expect(abs(s.variance / expectedVariance - 1) < 0.03, "\(scheme) variance \(s.variance)")
        // Shape of the distribution: 68.3 % within 1 sd for a normal, 1/√3 = 57.7 % for a
        // uniform; a uniform never exceeds √3 sd, a normal of 131k draws does (≈ 8 % beyond).
        let expectedWithin = isNormal ? 0.6827 : 0.5774
        #expect(abs(s.within1sd - expectedWithin) < 0.01, "\(scheme) within 1 sd \(s.within1sd)")
        let uniformEdge = (3 * expectedVariance).squareRoot()
        #expect(isNormal ? s.maxAbs > uniformEdge : s.maxAbs <= uniformEdge * 1.0001, "\(scheme) max")
    }

    @Test func biasIsPyTorchDefault() {
        var rng = RandomGenerator(seed: 13)
        let b = Initializer.heNormal.makeBias(count: 10_000, fanIn: 25, rng: &rng).scalars
        #expect(b.allSatisfy { abs($0) <= 0.2 })   // 1/√25
        #expect(b.max()! > 0.19 && b.min()! < -0.19)
    }

    @Test func configNamesAreStable() {
        #expect(Initializer.allCases.map(\.rawValue)
                == ["default", "he_uniform", "he_normal", "xavier_uniform", "xavier_normal"])
    }

    @Test func linearUsesTheChosenInitializer() {
        var rng = RandomGenerator(seed: 14)
        let layer = Linear(inputSize: 1000, outputSize: 200, initializer: .heNormal, rng: &rng)
        let w = layer.weight.scalars.map(Double.init)
        let variance = w.reduce(0) { $0 + $1 * $1 } / Double(w.count)
        #expect(abs(variance / (2.0 / 1000) - 1) < 0.03)
    }
}
