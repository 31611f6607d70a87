import Testing
import SynapseCore
import SynapseTestSupport

/// The batch norm op: hand-computed values, running statistics, evaluation mode and
/// central-difference gradient checks in both modes.
@Suite struct BatchNormOpTests {
    @Test func normalizesTwoValuesByHand() {
        // One channel, values 1 and 3: mean 2, biased variance 1 → ∓1/√(1 + eps).
        let x = Tensor(shape: [2, 1], values: [1, 3])
        let y = batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        let s = 1 / (1 + Float(1e-5)).squareRoot()
        expectClose(y.scalars, [-s, s], rtol: 1e-6, atol: 0)
        // γ = 2, β = 0.5 scale and shift that.
        let affine = batchNorm(x, runningMean: nil, runningVar: nil, weight: Tensor(shape: [1], values: [2]),
                               bias: Tensor(shape: [1], values: [0.5]), training: true)
        expectClose(affine.scalars, [0.5 - 2 * s, 0.5 + 2 * s], rtol: 1e-6, atol: 0)
    }

    @Test func statisticsArePerChannelOverBatchAndSpace() {
        // [N=2, C=2, H=1, W=2]: channel 0 holds {0, 2, 4, 6} (mean 3, variance 5), channel 1
        // holds {10, 10, 10, 10} (variance 0 → output 0, not NaN).
        let x = Tensor(shape: [2, 2, 1, 2], values: [0, 2, 10, 10, 4, 6, 10, 10])
        let y = batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        let k = 1 / (5 + Float(1e-5)).squareRoot()
        expectClose(y.scalars, [-3 * k, -k, 0, 0, k, 3 * k, 0, 0], rtol: 1e-6, atol: 1e-7)
    }

    @Test func runningStatisticsAfterTwoStepsUseUnbiasedVariance() {
        // Step 1: {1, 3}: mean 2, unbiased variance 2 → mean 0.9·0 + 0.1·2 = 0.2,
        //         var 0.9·1 + 0.1·2 = 1.1.
        // Step 2: {2, 6}: mean 4, unbiased variance 8 → mean 0.9·0.2 + 0.1·4 = 0.58,
        //         var 0.9·1.1 + 0.1·8 = 1.79.
        let runningMean = Tensor.zeros([1]), runningVar = Tensor(shape: [1], repeating: 1)
        _ = batchNorm(Tensor(shape: [2, 1], values: [1, 3]), runningMean: runningMean, runningVar: runningVar,
                      weight: nil, bias: nil, training: true)
        expectClose(runningMean.scalars + runningVar.scalars, [0.2, 1.1], rtol: 1e-6, atol: 0)
        _ = batchNorm(Tensor(shape: [2, 1], values: [2, 6]), runningMean: runningMean, runningVar: runningVar,
                      weight: nil, bias: nil, training: true)
        expectClose(runningMean.scalars + runningVar.scalars, [0.58, 1.79], rtol: 1e-6, atol: 0)
    }

    @Test func evaluationUsesRunningStatisticsAndChangesNothing() {
        let x = randomTensor([3, 2, 2, 2], seed: 301, low: -3, high: 3)
        let runningMean = Tensor(shape: [2], values: [0.5, -1]), runningVar = Tensor(shape: [2], values: [4, 0.25])
        let weight = Tensor(shape: [2], values: [1.5, -0.5]), bias = Tensor(shape: [2], values: [0.1, 2])
        let y = batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                          training: false)
        var expected: [Float] = []
        for (i, v) in x.scalars.enumerated() {
            let c = (i / 4) % 2   // [N, C, H·W = 4]
            let mu = runningMean.scalars[c], variance = runningVar.scalars[c]
            expected.append((v - mu) / (variance + 1e-5).squareRoot() * weight.scalars[c] + bias.scalars[c])
        }
        expectClose(y.scalars, expected, rtol: 1e-5, atol: 1e-6)
        #expect(runningMean.scalars == [0.5, -1] && runningVar.scalars == [4, 0.25])
    }

    @Test func momentumOneCopiesTheBatchStatistics() {
        let x = randomTensor([4, 3], seed: 302)
        let runningMean = Tensor.zeros([3]), runningVar = Tensor(shape: [3], repeating: 1)
        _ = batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: nil, bias: nil,
                      training: true, momentum: 1)
        for c in 0..<3 {
            let column = (0..<4).map { Double(x.scalars[$0 * 3 + c]) }
            let mu = column.reduce(0, +) / 4
            let unbiased = column.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 3
            expectClose(runningMean.scalars[c], Float(mu), rtol: 1e-6, atol: 1e-7)
            expectClose(runningVar.scalars[c], Float(unbiased), rtol: 1e-5, atol: 1e-7)
        }
    }

    @Test func trainingGradients1d() {
        let x = randomTensor([6, 3], seed: 303, low: -2, high: 2)
        let weight = randomTensor([3], seed: 304, low: 0.5, high: 1.5), bias = randomTensor([3], seed: 305)
        expectGradientsMatch([x, weight, bias], h: 1e-2, "batchNorm 1d train") {
            weightedSum(batchNorm(x, runningMean: nil, runningVar: nil, weight: weight, bias: bias, training: true),
                        seed: 306)
        }
    }

    @Test func trainingGradients2d() {
        let x = randomTensor([3, 2, 2, 3], seed: 307, low: -2, high: 2)
        let weight = randomTensor([2], seed: 308, low: 0.5, high: 1.5), bias = randomTensor([2], seed: 309)
        // The running statistics are updated on every call of the check but never read.
        let runningMean = Tensor.zeros([2]), runningVar = Tensor(shape: [2], repeating: 1)
        expectGradientsMatch([x, weight, bias], h: 1e-2, "batchNorm 2d train") {
            weightedSum(batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                  training: true), seed: 310)
        }
    }

    @Test func trainingGradientsWithoutAffine() {
        let x = randomTensor([2, 3, 4], seed: 311, low: -2, high: 2)
        expectGradientsMatch([x], h: 1e-2, "batchNorm [N, C, L] train, no affine") {
            weightedSum(batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true),
                        seed: 312)
        }
    }

    @Test func evaluationGradients() {
        let x = randomTensor([3, 2, 2, 2], seed: 313, low: -2, high: 2)
        let weight = randomTensor([2], seed: 314, low: 0.5, high: 1.5), bias = randomTensor([2], seed: 315)
        let runningMean = Tensor(shape: [2], values: [0.3, -0.2]), runningVar = Tensor(shape: [2], values: [0.8, 1.7])
        expectGradientsMatch([x, weight, bias], h: 1e-2, "batchNorm eval") {
            weightedSum(batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                  training: false), seed: 316)
        }
    }

    @Test func inputGradientIsSkippedButParameterGradientsFlowForAConstantInput() {
        // A first-layer batch norm: the data needs no gradient, γ and β do.
        let x = randomTensor([4, 2], seed: 317)
        let weight = Tensor(shape: [2], values: [1, 1], requiresGrad: true)
        let bias = Tensor(shape: [2], values: [0, 0], requiresGrad: true)
        sum(batchNorm(x, runningMean: nil, runningVar: nil, weight: weight, bias: bias, training: true)).backward()
        #expect(x.grad == nil)
        expectClose(bias.grad!.scalars, [4, 4], rtol: 0, atol: 0)
        expectClose(weight.grad!.scalars, [0, 0], rtol: 0, atol: 1e-5)   // Σ x̂ = 0 per channel
    }
}
