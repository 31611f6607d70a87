import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Residual: forward values, child names, and gradients through both paths.
@Suite struct ResidualTests {
    @Test func identityShortcutAddsTheInput() {
        var rng = RandomGenerator(seed: 801)
        let body = Linear(inputSize: 3, outputSize: 3, rng: &rng)
        let block = Residual(body: body)
        let x = randomTensor([4, 3], seed: 802)
        let expected = zip(body(x).scalars, x.scalars).map { $0 + $1 }
        #expect(block(x).scalars == expected)
        #expect(block.namedParameters().map(\.name) == ["body.weight", "body.bias"])
        #expect(block.shortcut == nil)
    }

    @Test func projectionShortcutChangesTheWidth() {
        var rng = RandomGenerator(seed: 803)
        let body = Sequential(named: [("fc1", Linear(inputSize: 3, outputSize: 5, rng: &rng)), ("act", ReLU())])
        let shortcut = Linear(inputSize: 3, outputSize: 5, bias: false, rng: &rng)
        let block = Residual(body: body, shortcut: shortcut)
        let x = randomTensor([2, 3], seed: 804)
        let y = block(x)
        #expect(y.shape == [2, 5])
        expectClose(y.scalars, zip(body(x).scalars, shortcut(x).scalars).map { $0 + $1 }, rtol: 0, atol: 0)
        #expect(block.namedParameters().map(\.name) == ["body.fc1.weight", "body.fc1.bias", "shortcut.weight"])
    }

    @Test func gradientsThroughBodyAndIdentity() {
        var rng = RandomGenerator(seed: 805)
        let block = Residual(body: Sequential(Linear(inputSize: 4, outputSize: 4, rng: &rng), Tanh(),
                                              Linear(inputSize: 4, outputSize: 4, rng: &rng)))
        let x = randomTensor([3, 4], seed: 806)
        expectGradientsMatch([x] + block.namedParameters().map(\.tensor), h: 1e-2, "residual block") {
            weightedSum(block(x), seed: 807)
        }
    }

    @Test func gradientsOfABatchNormBlockWithProjection() {
        // The ResNet pattern (linear stand-ins for convolutions): relu(bn(fc(x)) + proj(x)).
        var rng = RandomGenerator(seed: 808)
        let block = Sequential(
            Residual(body: Sequential(Linear(inputSize: 3, outputSize: 4, rng: &rng), BatchNorm1d(featureCount: 4)),
                     shortcut: Linear(inputSize: 3, outputSize: 4, rng: &rng)),
            Tanh())
        let x = randomTensor([5, 3], seed: 809)
        expectGradientsMatch([x] + block.namedParameters().map(\.tensor), h: 1e-2, "residual + batch norm") {
            weightedSum(block(x), seed: 810)
        }
        #expect(block.namedBuffers().map(\.name).first == "0.body.1.running_mean")
    }

    @Test func withoutTheIdentityTheGradientWouldDiffer() {
        // dx through the block is W-path plus exactly the upstream gradient (the skip path).
        var rng = RandomGenerator(seed: 811)
        let body = Linear(inputSize: 2, outputSize: 2, bias: false, rng: &rng)
        let x = randomTensor([1, 2], seed: 812)
        x.requiresGrad = true
        sum(Residual(body: body)(x)).backward()
        let w = body.weight.scalars   // [out, in]; d sum(x Wᵀ)/dx_j = Σ_o W[o, j]
        expectClose(x.grad!.scalars, [w[0] + w[2] + 1, w[1] + w[3] + 1], rtol: 1e-6, atol: 1e-6)
    }
}
