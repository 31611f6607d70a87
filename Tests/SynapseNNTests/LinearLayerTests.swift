import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// The Linear layer: PyTorch's default initialization and agreement with the `linear` op.
@Suite struct LinearLayerTests {
    @Test func defaultInitIsUniformWithinOneOverSqrtFanIn() {
        // PyTorch: kaiming_uniform(a = √5) → U(±1/√in); bias U(±1/√in). in = 400 → bound 0.05.
        var rng = RandomGenerator(seed: 4)
        let layer = Linear(inputSize: 400, outputSize: 300, rng: &rng)
        let bound: Float = 0.05
        let w = layer.weight.scalars, b = layer.bias!.scalars
        #expect(w.allSatisfy { abs($0) <= bound } && b.allSatisfy { abs($0) <= bound })
        // Fills the range: both ends are reached (120 000 draws).
        #expect(w.max()! > 0.99 * bound && w.min()! < -0.99 * bound)
        // Roughly uniform: 10 equal bins each hold ≈ 10 % (binomial sd ≈ 0.09 %).
        var bins = [Int](repeating: 0, count: 10)
        for v in w { bins[min(9, Int((v + bound) / (2 * bound) * 10))] += 1 }
        let fractions = bins.map { Double($0) / Double(w.count) }
        #expect(fractions.allSatisfy { abs($0 - 0.1) < 0.005 }, "\(fractions)")
        // Variance of U(±a) is a²/3.
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        #expect(abs(mean) < 0.001)
        expectClose(variance, bound * bound / 3, rtol: 0.02)
    }

    @Test func forwardIsTheLinearOp() {
        var rng = RandomGenerator(seed: 5)
        let layer = Linear(inputSize: 3, outputSize: 2, rng: &rng)
        let x = randomTensor([4, 3], seed: 6)
        #expect(layer(x).shape == [4, 2])
        expectClose(layer(x).scalars, linear(x, weight: layer.weight, bias: layer.bias).scalars)
        #expect(layer.inFeatures == 3 && layer.outFeatures == 2)
    }

    @Test func withoutBias() {
        var rng = RandomGenerator(seed: 7)
        let layer = Linear(inputSize: 3, outputSize: 2, bias: false, rng: &rng)
        #expect(layer.bias == nil)
        #expect(layer.namedParameters().map(\.name) == ["weight"])
        #expect(layer.parameterCount == 6)
    }

    @Test func sameSeedSameWeights() {
        var r1 = RandomGenerator(seed: 8), r2 = RandomGenerator(seed: 8)
        let a = Linear(inputSize: 5, outputSize: 4, rng: &r1)
        let b = Linear(inputSize: 5, outputSize: 4, rng: &r2)
        #expect(a.weight.scalars == b.weight.scalars && a.bias!.scalars == b.bias!.scalars)
    }

    @Test func gradientCheck() {
        var rng = RandomGenerator(seed: 9)
        let layer = Linear(inputSize: 3, outputSize: 4, rng: &rng)
        let x = randomTensor([2, 3], seed: 10)
        expectGradientsMatch([x, layer.weight, layer.bias!], "Linear layer") {
            weightedSum(layer(x), seed: 11)
        }
    }
}
