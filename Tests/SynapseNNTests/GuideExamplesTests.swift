import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// The guide's first examples (also runnable: Examples/SingleNeuron, Examples/QuickStart).
@Suite struct GuideExamplesTests {
    /// One neuron with 3 inputs: w = [0.5, -0.3, 0.8], b = 0.1.
    func neuron() -> Linear {
        var rng = RandomGenerator(seed: 0)
        let layer = Linear(inputSize: 3, outputSize: 1, rng: &rng)
        _ = layer.weight.data.update(fromContentsOf: [0.5, -0.3, 0.8] as [Float])
        layer.bias!.pointer[0] = 0.1
        return layer
    }

    @Test func singleNeuronForward() {
        // z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = 1 − 0.9 + 0.8 + 0.1 = 1.0
        // ReLU(1.0) = 1.0; sigmoid(1.0) = 1/(1 + e⁻¹) = 0.7310586
        let x = Tensor(shape: [1, 3], values: [2, 3, 1])
        let z = neuron()(x)
        #expect(z.shape == [1, 1])
        expectClose(z.item(), 1.0)
        expectClose(relu(z).item(), 1.0)
        expectClose(sigmoid(z).item(), 0.7310586)
    }

    @Test func singleNeuronGradientIsTheInput() {
        // a = ReLU(w·x + b) with z = 1 > 0, so ∂a/∂w = x = [2, 3, 1] and ∂a/∂b = 1.
        let layer = neuron()
        relu(layer(Tensor(shape: [1, 3], values: [2, 3, 1]))).backward(gradient: Tensor(shape: [1, 1], values: [1]))
        expectClose(layer.weight.grad!.scalars, [2, 3, 1])
        expectClose(layer.bias!.grad!.scalars, [1])
    }

    @Test func quickStartNetwork() {
        var rng = RandomGenerator(seed: 42, stream: RandomGenerator.Stream.initialization)
        let model = Sequential(
            Linear(inputSize: 10, outputSize: 64, rng: &rng), ReLU(),
            Linear(inputSize: 64, outputSize: 32, rng: &rng), ReLU(),
            Linear(inputSize: 32, outputSize: 2, rng: &rng))
        let x = randomTensor([1, 10], seed: 7)
        #expect(model(x).shape == [1, 2])
        // 10·64 + 64 + 64·32 + 32 + 32·2 + 2 = 640 + 64 + 2048 + 32 + 64 + 2 = 2850
        // (the brief for this example said 2818; its own sum is 2850).
        #expect(model.parameterCount == 2850)
        #expect(model.namedParameters().map(\.name)
                == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        #expect(model.namedParameters().map(\.tensor.shape)
                == [[64, 10], [64], [32, 64], [32], [2, 32], [2]])
    }
}
