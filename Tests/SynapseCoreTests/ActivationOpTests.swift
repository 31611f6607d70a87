import Testing
import SynapseCore
import SynapseTestSupport

/// relu, leakyRelu, sigmoid, tanh, gelu: hand-computed values, gradients, extreme inputs.
@Suite struct ActivationOpTests {
    /// Value of `op(x)` and `d op / dx` (via backward of sum) at each element of `x`.
    func valueAndDerivative(_ x: [Float], _ op: (Tensor) -> Tensor) -> (y: [Float], dy: [Float]) {
        let t = Tensor(shape: [x.count], values: x, requiresGrad: true)
        let y = op(t)
        sum(y).backward()
        return (y.scalars, t.grad!.scalars)
    }

    @Test func reluHandComputed() {
        // max(0, x); derivative 1 for x > 0, 0 otherwise (0 at x = 0, as PyTorch).
        let (y, dy) = valueAndDerivative([-2, -0.5, 0, 0.5, 3], relu)
        expectClose(y, [0, 0, 0, 0.5, 3])
        expectClose(dy, [0, 0, 0, 1, 1])
    }

    @Test func leakyReluHandComputed() {
        // slope 0.1: [-2·0.1, -0.5·0.1, 0, 0.5, 3]; derivative 0.1 for x ≤ 0, 1 above.
        let (y, dy) = valueAndDerivative([-2, -0.5, 0, 0.5, 3]) { leakyRelu($0, negativeSlope: 0.1) }
        expectClose(y, [-0.2, -0.05, 0, 0.5, 3])
        expectClose(dy, [0.1, 0.1, 0.1, 1, 1])
        // Default slope is PyTorch's 0.01.
        expectClose(leakyRelu(Tensor(shape: [1], values: [-3])).item(), -0.03)
    }

    @Test func sigmoidHandComputed() {
        // σ(0) = 1/2; σ(ln 3) = 1/(1 + 1/3) = 3/4; σ(-ln 3) = 1/4.
        // σ' = σ(1 - σ): 1/4, 3/16, 3/16.
        let ln3: Float = 1.0986123
        let (y, dy) = valueAndDerivative([0, ln3, -ln3], sigmoid)
        expectClose(y, [0.5, 0.75, 0.25])
        expectClose(dy, [0.25, 0.1875, 0.1875])
    }

    @Test func sigmoidIsFiniteAtExtremes() {
        // e^100 overflows Float; the sign split must keep both ends exact and finite.
        let (y, dy) = valueAndDerivative([-100, 100, -1000, 1000], sigmoid)
        #expect(y.allSatisfy { $0.isFinite } && dy.allSatisfy { $0.isFinite })
        expectClose(y, [0, 1, 0, 1], atol: 1e-30)
        expectClose(dy, [0, 0, 0, 0], atol: 1e-30)
    }

    @Test func tanhHandComputed() {
        // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6; derivative 1 - 0.6² = 0.64.
        let ln2: Float = 0.6931472
        let (y, dy) = valueAndDerivative([0, ln2, -ln2, 50], SynapseCore.tanh)
        expectClose(y, [0, 0.6, -0.6, 1])
        expectClose(dy, [1, 0.64, 0.64, 0])
    }

    @Test func geluHandComputed() {
        // gelu(x) = x Φ(x): gelu(0) = 0, gelu(1) = Φ(1) = 0.8413447, gelu(-1) = -Φ(-1)
        // = -0.1586553, gelu(2) = 2 Φ(2) = 1.9544997. gelu'(x) = Φ(x) + x φ(x): gelu'(0) = 1/2.
        let (y, dy) = valueAndDerivative([0, 1, -1, 2], gelu)
        expectClose(y, [0, 0.8413447, -0.1586553, 1.9544997])
        expectClose(dy[0], 0.5)
        // Φ(1) + φ(1) with φ(1) = e^{-1/2}/√(2π) = 0.2419707 → 1.0833155.
        expectClose(dy[1], 1.0833155)
    }

    @Test func gradientChecks() {
        // Inputs at least 0.1 from 0, so the finite difference (h = 0.01) never crosses a kink.
        let x = randomTensorAwayFromZero([3, 4], seed: 11)
        expectGradientsMatch([x], "relu") { weightedSum(relu(x), seed: 12) }
        expectGradientsMatch([x], "leakyRelu") { weightedSum(leakyRelu(x, negativeSlope: 0.2), seed: 13) }
        expectGradientsMatch([x], "sigmoid") { weightedSum(sigmoid(x), seed: 14) }
        expectGradientsMatch([x], "tanh") { weightedSum(SynapseCore.tanh(x), seed: 15) }
        expectGradientsMatch([x], "gelu") { weightedSum(gelu(x), seed: 16) }
    }

    @Test func reluMatchesPointwiseDefinition() {
        // relu has its own loops for speed; it must agree with the generic primitive.
        let x = randomTensor([1000], seed: 17, low: -3, high: 3)
        let g = randomTensor([1000], seed: 18)
        let fast = x.copy(), slow = x.copy()
        fast.requiresGrad = true; slow.requiresGrad = true
        let yFast = relu(fast)
        let ySlow = pointwise(slow, { $0 > 0 ? $0 : 0 }, derivative: { x, _ in x > 0 ? 1 : 0 })
        #expect(yFast.scalars == ySlow.scalars)
        yFast.backward(gradient: g)
        ySlow.backward(gradient: g)
        #expect(fast.grad!.scalars == slow.grad!.scalars)
    }
}
