import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Channel dropout: whole feature maps dropped, inverted scaling, mask order, gradient.
@Suite struct Dropout2dTests {
    @Test func zeroesWholeChannelsAboutPOfThemAndScalesTheRest() {
        // 200 × 50 = 10 000 channels at p = 0.3: zero fraction sd ≈ 0.46 %.
        let layer = Dropout2d(p: 0.3, rng: RandomGenerator(seed: 901, stream: RandomGenerator.Stream.dropout))
        let y = layer(Tensor(shape: [200, 50, 2, 2], repeating: 1)).scalars
        var dropped = 0
        for nc in 0..<(200 * 50) {
            let channel = y[(nc * 4)..<(nc * 4 + 4)]
            #expect(channel.allSatisfy { $0 == channel.first! }, "channel \(nc) is not all kept or all dropped")
            if channel.first! == 0 { dropped += 1 } else { expectClose(channel.first!, 1 / 0.7, rtol: 1e-6, atol: 0) }
        }
        #expect(abs(Double(dropped) / 10_000 - 0.3) < 0.02)
    }

    @Test func maskIsDrawnOncePerSampleAndChannelInOrder() {
        // The same generator predicts the mask: draw k decides channel k of [N·C].
        let p: Float = 0.5
        var predictor = RandomGenerator(seed: 902)
        let keep = (0..<6).map { _ in predictor.nextUniform() >= p }
        var rng = RandomGenerator(seed: 902)
        let y = dropout2d(Tensor(shape: [2, 3, 1, 2], repeating: 1), p: p, rng: &rng).scalars
        #expect(y == keep.flatMap { $0 ? [2, 2] : [0, 0] })
        #expect(rng == predictor, "exactly N·C numbers drawn")
    }

    @Test func gradientFollowsTheMask() {
        var rng = RandomGenerator(seed: 903)
        let x = randomTensorAwayFromZero([3, 4, 2, 2], seed: 904)
        x.requiresGrad = true
        let upstream = randomTensor(x.shape, seed: 905)
        let y = dropout2d(x, p: 0.4, rng: &rng)
        sum(multiply(y, upstream)).backward()
        let factor = zip(y.scalars, x.scalars).map { $0.0 / $0.1 }   // 0 or 1/(1-p) per element
        #expect(factor.contains(0) && factor.contains { abs($0 - 1 / 0.6) < 1e-5 }, "some channels kept, some dropped")
        expectClose(x.grad!.scalars, zip(upstream.scalars, factor).map { $0 * $1 }, rtol: 1e-5, atol: 1e-6)
    }

    @Test func evaluationAndZeroProbabilityAreTheIdentity() {
        let x = randomTensor([2, 3, 2, 2], seed: 906)
        let layer = Dropout2d(p: 0.5)
        layer.eval()
        #expect(layer(x).scalars == x.scalars)
        var rng = RandomGenerator(seed: 907)
        #expect(dropout2d(x, p: 0, rng: &rng).scalars == x.scalars)
        #expect(Dropout2d().p == 0.5, "PyTorch's default")
    }

    @Test func successiveBatchesGetDifferentMasks() {
        let layer = Dropout2d(p: 0.5, rng: RandomGenerator(seed: 908))
        let ones = Tensor(shape: [8, 8, 1, 1], repeating: 1)
        #expect(layer(ones).scalars != layer(ones).scalars)
    }
}
