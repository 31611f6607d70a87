import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Parameter-free layers: Dropout, Flatten, activation wrappers.
@Suite struct LayerTests {
    @Test func dropoutInEvalIsIdentity() {
        let layer = Dropout(p: 0.5)
        layer.eval()
        let x = randomTensor([8, 8], seed: 15)
        let y = layer(x)
        #expect(y.scalars == x.scalars)
    }

    @Test func dropoutInTrainZeroesAboutPAndScales() {
        // p = 0.3 on 100 000 ones: ≈ 30 % zeros (sd 0.15 %), survivors 1/0.7 = 1.4285714.
        let layer = Dropout(p: 0.3, rng: RandomGenerator(seed: 16, stream: RandomGenerator.Stream.dropout))
        #expect(layer.isTraining)
        let y = layer(Tensor(shape: [100_000], repeating: 1)).scalars
        let zeroFraction = Double(y.filter { $0 == 0 }.count) / 100_000
        #expect(abs(zeroFraction - 0.3) < 0.01)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
        // Its generator advances: the next batch gets a different mask.
        let again = layer(Tensor(shape: [100_000], repeating: 1)).scalars
        #expect(again != y)
    }

    @Test func flattenKeepsBatchAndValues() {
        // [2, 3, 4, 5] → [2, 60], same row-major values; the gradient comes back as [2, 3, 4, 5].
        let x = randomTensor([2, 3, 4, 5], seed: 17)
        x.requiresGrad = true
        let y = Flatten()(x)
        #expect(y.shape == [2, 60])
        #expect(y.scalars == x.scalars)
        sum(y).backward()
        #expect(x.grad!.shape == [2, 3, 4, 5])
        #expect(Flatten()(Tensor.zeros([7, 3])).shape == [7, 3])
    }

    @Test func activationLayersWrapTheirOps() {
        let x = randomTensor([3, 4], seed: 18, low: -3, high: 3)
        #expect(ReLU()(x).scalars == relu(x).scalars)
        #expect(LeakyReLU(negativeSlope: 0.2)(x).scalars == leakyRelu(x, negativeSlope: 0.2).scalars)
        #expect(Sigmoid()(x).scalars == sigmoid(x).scalars)
        #expect(Tanh()(x).scalars == SynapseCore.tanh(x).scalars)
        #expect(GELU()(x).scalars == gelu(x).scalars)
        #expect(Softmax()(x).scalars == softmax(x).scalars)
        #expect(LeakyReLU().negativeSlope == 0.01, "PyTorch's default slope")
    }
}
