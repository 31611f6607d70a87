import Testing
import SynapseCore
import SynapseTestSupport

/// softmax and logSoftmax over the last dimension.
@Suite struct SoftmaxOpTests {
    // Row 0: [0, ln 2, ln 3] → e^x = [1, 2, 3], total 6 → softmax [1/6, 1/3, 1/2].
    // Row 1: the same row shifted by +100; softmax is shift-invariant, and the max
    // subtraction keeps e^100 (Float overflow at ~88.7) out of the computation.
    let ln2: Float = 0.6931472, ln3: Float = 1.0986123
    var x: Tensor { Tensor(shape: [2, 3], values: [0, ln2, ln3, 100, 100 + ln2, 100 + ln3]) }

    @Test func softmaxHandComputed() {
        let y = softmax(x)
        #expect(y.shape == [2, 3])
        expectClose(y.scalars, [1.0 / 6, 1.0 / 3, 0.5, 1.0 / 6, 1.0 / 3, 0.5], rtol: 1e-4)
    }

    @Test func logSoftmaxHandComputed() {
        // log(1/6) = -1.7917595, log(1/3) = -1.0986123, log(1/2) = -0.6931472.
        let expected: [Float] = [-1.7917595, -1.0986123, -0.6931472]
        expectClose(logSoftmax(x).scalars, expected + expected, rtol: 1e-4, atol: 1e-5)
    }

    @Test func softmaxBackwardHandComputed() {
        // dx_i = y_i (dy_i - Σ_j dy_j y_j). With dy = [1, 0, 0] and y = [1/6, 1/3, 1/2]:
        // Σ dy·y = 1/6 → dx = [1/6 · 5/6, 1/3 · (-1/6), 1/2 · (-1/6)] = [5/36, -1/18, -1/12].
        let t = Tensor(shape: [1, 3], values: [0, ln2, ln3], requiresGrad: true)
        softmax(t).backward(gradient: Tensor(shape: [1, 3], values: [1, 0, 0]))
        expectClose(t.grad!.scalars, [5.0 / 36, -1.0 / 18, -1.0 / 12], rtol: 1e-4)
    }

    @Test func rowsSumToOne() {
        let big = randomTensor([64, 17], seed: 3, low: -30, high: 30)
        let y = softmax(big).scalars
        for r in 0..<64 {
            let row = y[(r * 17)..<((r + 1) * 17)]
            expectClose(row.reduce(0, +), 1, rtol: 1e-5, "row \(r)")
            #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test func extremeLogitsStayFinite() {
        // [1000, -1000]: softmax [1, 0], logSoftmax [0, -2000], no NaN or infinity.
        let t = Tensor(shape: [1, 2], values: [1000, -1000])
        expectClose(softmax(t).scalars, [1, 0])
        expectClose(logSoftmax(t).scalars, [0, -2000])
    }

    @Test func worksOnHigherRankTensors() {
        // [2, 2, 3]: each of the 4 rows of 3 is normalized on its own.
        let t = randomTensor([2, 2, 3], seed: 4)
        let y = softmax(t), flat = softmax(t.reshaped(to: [4, 3]))
        #expect(y.shape == [2, 2, 3])
        expectClose(y.scalars, flat.scalars)
    }

    @Test func gradientChecks() {
        let t = randomTensor([3, 5], seed: 5, low: -3, high: 3)
        expectGradientsMatch([t], "softmax") { weightedSum(softmax(t), seed: 6) }
        expectGradientsMatch([t], "logSoftmax") { weightedSum(logSoftmax(t), seed: 7) }
    }
}
