import Testing
import SynapseCore
import SynapseTestSupport

/// layerNorm: hand-computed values and gradients, gradient checks over several shapes.
/// (Values against numpy are in TransformerReferenceTests.)
@Suite struct LayerNormOpTests {
    @Test func handComputedForward() {
        // Row [1, 2, 3, 4]: mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25,
        // x̂ = [-1.5, -0.5, 0.5, 1.5] / √1.25 = [-1.3416408, -0.4472136, 0.4472136, 1.3416408].
        // weight [2, 1, 0.5, -1], bias [0.5, 0, -0.5, 1] → y = x̂ · weight + bias.
        let x = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let weight = Tensor(shape: [4], values: [2, 1, 0.5, -1]), bias = Tensor(shape: [4], values: [0.5, 0, -0.5, 1])
        let y = layerNorm(x, weight: weight, bias: bias, epsilon: 0)
        #expect(y.shape == [1, 4])
        expectClose(y.scalars, [-2.1832816, -0.4472136, -0.2763932, -0.3416408], rtol: 1e-5)
        // A constant row has x̂ = 0 (ε keeps 0/0 away): y is the bias exactly.
        let flat = layerNorm(Tensor(shape: [1, 4], repeating: 3), weight: weight, bias: bias)
        #expect(flat.scalars == [0.5, 0, -0.5, 1])
    }

    @Test func epsilonIsAddedToTheBiasedVariance() {
        // Row [0, 2]: mean 1, biased variance 1 (unbiased would be 2). With ε = 3,
        // 1/√(1 + 3) = 1/2, so x̂ = [-1/2, 1/2]; an unbiased variance would give ±1/√5.
        let x = Tensor(shape: [1, 2], values: [0, 2])
        let y = layerNorm(x, weight: Tensor(shape: [2], repeating: 1), bias: .zeros([2]), epsilon: 3)
        expectClose(y.scalars, [-0.5, 0.5])
    }

    @Test func handComputedGradients() {
        // Same row [0, 2], ε 3, weight 1, bias 0, upstream [1, 0]. With u = (x0 - x1)/2 = -1,
        // y0 = u / √(u² + 3), so dy0/du = 3 / (u² + 3)^{3/2} = 3/8 and dx = [3/16, -3/16].
        // dbias = Σ dy = [1, 0]; dweight = dy ⊙ x̂ = [-1/2, 0].
        let x = Tensor(shape: [1, 2], values: [0, 2], requiresGrad: true)
        let weight = Tensor(shape: [2], values: [1, 1], requiresGrad: true)
        let bias = Tensor(shape: [2], values: [0, 0], requiresGrad: true)
        layerNorm(x, weight: weight, bias: bias, epsilon: 3).backward(gradient: Tensor(shape: [1, 2], values: [1, 0]))
        expectClose(x.grad!.scalars, [0.1875, -0.1875])
        expectClose(weight.grad!.scalars, [-0.5, 0])
        expectClose(bias.grad!.scalars, [1, 0])
    }

    @Test func normalizesEachRowOverTheLastDimension() {
        // With weight 1 and bias 0 every row of a [2, 3, 19] input comes out with mean 0 and
        // biased variance 1 (up to ε); 19 is not a multiple of the 8-lane loops.
        let x = randomTensor([2, 3, 19], seed: 30, low: -4, high: 6)
        let y = layerNorm(x, weight: Tensor(shape: [19], repeating: 1), bias: .zeros([19])).scalars
        for r in 0..<6 {
            let row = y[(r * 19)..<((r + 1) * 19)]
            let mean = row.reduce(0, +) / 19
            expectClose(mean, 0, atol: 1e-6, "row \(r) mean")
            expectClose(row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 19, 1, rtol: 1e-4, "row \(r) variance")
        }
    }

    @Test(arguments: [[1, 4], [2, 3, 5], [3, 1, 8], [4, 1], [2, 19]])
    func gradientChecks(shape: [Int]) {
        let C = shape.last!
        let x = randomTensor(shape, seed: 31, low: -2, high: 2)
        let weight = randomTensor([C], seed: 32, low: -1.5, high: 1.5), bias = randomTensor([C], seed: 33)
        expectGradientsMatch([x, weight, bias], "layerNorm \(shape)") {
            weightedSum(layerNorm(x, weight: weight, bias: bias), seed: 34)
        }
    }

    @Test func gradientOfAResidualAroundIt() {
        // x + layerNorm(x): x collects both contributions (one stored, one added).
        let x = randomTensor([3, 6], seed: 35), weight = randomTensor([6], seed: 36), bias = randomTensor([6], seed: 37)
        expectGradientsMatch([x, weight, bias], "x + layerNorm(x)") {
            weightedSum(add(x, layerNorm(x, weight: weight, bias: bias)), seed: 38)
        }
        expectBackwardAccumulates(into: x, "layerNorm") { weightedSum(layerNorm(x, weight: weight, bias: bias), seed: 39) }
    }

    @Test func inputWithoutGradientGetsNone() {
        // Only the parameters train (e.g. normalizing a fixed input): no dx is computed.
        let x = randomTensor([2, 5], seed: 40)
        let weight = randomTensor([5], seed: 41), bias = randomTensor([5], seed: 42)
        expectGradientsMatch([weight, bias], "layerNorm parameters only") {
            weightedSum(layerNorm(x, weight: weight, bias: bias), seed: 43)
        }
        #expect(x.grad == nil)
    }

    @Test func mismatchedWeightStopsWithAReadableMessage() async {
        await #expect(processExitsWith: .failure) {
            _ = layerNorm(Tensor.zeros([2, 4]), weight: Tensor.zeros([3]), bias: Tensor.zeros([4]))
        }
    }
}
