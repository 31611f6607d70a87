import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d layers, and a small CNN built from them.
@Suite struct ConvLayerTests {
    @Test func defaultInitIsUniformWithinOneOverSqrtFanIn() {
        // PyTorch: kaiming_uniform(a = √5) → U(±1/√fanIn), bias U(±1/√fanIn), with
        // fanIn = Cin·kH·kW = 16·5·5 = 400 → bound 0.05.
        var rng = RandomGenerator(seed: 3)
        let layer = Conv2d(inChannels: 16, outChannels: 32, kernelSize: 5, rng: &rng)
        let bound: Float = 0.05
        let w = layer.weight.scalars, b = layer.bias!.scalars
        #expect(w.count == 12_800 && b.count == 32)
        #expect(w.allSatisfy { abs($0) <= bound } && b.allSatisfy { abs($0) <= bound })
        #expect(w.max()! > 0.99 * bound && w.min()! < -0.99 * bound)
        // Variance of U(±a) is a²/3; 12 800 draws put the estimate within ~2 %.
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)
        #expect(abs(mean) < 0.002)
        expectClose(variance, bound * bound / 3, rtol: 0.05)
        // A bound of 0.05 rather than 1/√16 = 0.25 (fanIn must include the kernel taps).
        #expect(b.contains { abs($0) > 0.03 })
    }

    @Test func parametersAreNamedLikePyTorch() {
        var rng = RandomGenerator(seed: 4)
        let layer = Conv2d(inChannels: 3, outChannels: 8, kernelSize: [3, 5], rng: &rng)
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(layer.weight.shape == [8, 3, 3, 5] && layer.bias!.shape == [8])
        #expect(layer.parameterCount == 8 * 3 * 15 + 8)
        let noBias = Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, bias: false, rng: &rng)
        #expect(noBias.bias == nil && noBias.namedParameters().map(\.name) == ["weight"])
    }

    @Test func forwardIsTheConvOp() {
        var rng = RandomGenerator(seed: 5)
        let layer = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, dilation: [1, 2], rng: &rng)
        let x = randomTensor([2, 2, 7, 8], seed: 6)
        let y = layer(x)
        // Hout = (7 + 2 − 2 − 1)/2 + 1 = 4; Wout = (8 + 2 − 4 − 1)/2 + 1 = 3.
        #expect(y.shape == [2, 3, 4, 3])
        expectClose(y.scalars, naiveConv2d(x, weight: layer.weight, bias: layer.bias, stride: 2,
                                           padding: 1, dilation: [1, 2]).scalars, atol: 1e-5)
    }

    @Test func sameSeedSameWeights() {
        var r1 = RandomGenerator(seed: 8), r2 = RandomGenerator(seed: 8)
        let a = Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, rng: &r1)
        let b = Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, rng: &r2)
        #expect(a.weight.scalars == b.weight.scalars && a.bias!.scalars == b.bias!.scalars)
    }

    @Test func poolingLayersWrapTheirOps() {
        let x = randomTensor([2, 3, 6, 7], seed: 9)
        let maxPool = MaxPool2d(kernelSize: 2)
        #expect(maxPool.stride == 2, "stride defaults to the kernel size, as in PyTorch")
        #expect(maxPool(x).scalars == maxPool2d(x, kernelSize: 2).scalars)
        #expect(MaxPool2d(kernelSize: 3, stride: 1, padding: 1)(x).scalars
                == maxPool2d(x, kernelSize: 3, stride: 1, padding: 1).scalars)
        let avgPool = AvgPool2d(kernelSize: [2, 3], padding: [1, 1], countIncludePad: false)
        #expect(avgPool.stride == [2, 3] && !avgPool.countIncludePad)
        #expect(avgPool(x).scalars == avgPool2d(x, kernelSize: [2, 3], padding: [1, 1], countIncludePad: false).scalars)
        #expect(AvgPool2d(kernelSize: 2).countIncludePad, "PyTorch's default")
        #expect(GlobalAvgPool2d()(x).shape == [2, 3])
        #expect(GlobalAvgPool2d()(x).scalars == globalAvgPool2d(x).scalars)
    }

    /// Conv(1→4, 3×3, pad 1) – Tanh – MaxPool 2 – Conv(4→6, 3×3) – ReLU – GlobalAvgPool – Linear(6→3).
    func smallCNN(seed: UInt64) -> Sequential {
        var rng = RandomGenerator(seed: seed)
        return Sequential(
            Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng), Tanh(),
            MaxPool2d(kernelSize: 2),
            Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, rng: &rng), ReLU(),
            GlobalAvgPool2d(),
            Linear(inputSize: 6, outputSize: 3, rng: &rng))
    }

    @Test func smallCNNGradientCheck() {
        // Every parameter of a stack of all the new layers against central differences
        // (h = 1e-3: small enough that no max-pool window or ReLU changes side).
        let model = smallCNN(seed: 10)
        let x = randomTensor([2, 1, 8, 8], seed: 11)
        #expect(model(x).shape == [2, 3])
        expectGradientsMatch(model.namedParameters().map(\.tensor), h: 1e-3, rtol: 5e-2, atol: 5e-3, "small CNN") {
            weightedSum(model(x), seed: 12)
        }
    }

    @Test func lenetStackShapes() {
        // The benchmark model: 28×28 → conv5 pad 2 → 28 → pool → 14 → conv5 pad 2 → 14 → pool → 7;
        // 32·7·7 = 1568 features → 128 → 10.
        var rng = RandomGenerator(seed: 13)
        let model = Sequential(
            Conv2d(inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(inChannels: 16, outChannels: 32, kernelSize: 5, padding: 2, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(inputSize: 1568, outputSize: 128, rng: &rng), ReLU(), Linear(inputSize: 128, outputSize: 10, rng: &rng))
        #expect(model(randomTensor([3, 1, 28, 28], seed: 14)).shape == [3, 10])
        #expect(model.parameterCount == (16 * 25 + 16) + (32 * 400 + 32) + (1568 * 128 + 128) + (128 * 10 + 10))
    }

    @Test func cnnStepAllocatesNothingAfterWarmUp() {
        // Like the MLP test in SynapseCoreTests: after one step every buffer (columns,
        // argmax indices, activations, gradients) comes from the pool. Odd sizes that other
        // tests do not use, so concurrent tests cannot take these buffers.
        let model = smallCNN(seed: 15)
        let arena = ParameterArena(parameters: model.namedParameters())
        let x = randomTensor([3, 1, 11, 9], seed: 16)
        let labels: [Int32] = [0, 2, 1]
        func step() {
            arena.zeroGrads()
            crossEntropy(logits: model(x), labels: labels).backward()
        }
        step()
        var clean = false
        for _ in 0..<200 where !clean {
            let before = BufferPool.shared.allocationCount
            step()
            clean = BufferPool.shared.allocationCount == before
        }
        #expect(clean, "every CNN step after warm-up made new allocations")
        #expect(arena.grads.contains { $0 != 0 }, "the step must produce gradients")
    }
}
