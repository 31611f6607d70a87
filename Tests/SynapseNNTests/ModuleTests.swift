import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Module bookkeeping: parameter names, train/eval mode, freezing.
@Suite struct ModuleTests {
    /// fc1 (4→3) → act → fc2 (3→2), with PyTorch-style names.
    func namedNet() -> Sequential {
        var rng = RandomGenerator(seed: 1)
        return Sequential(named: [
            ("fc1", Linear(inputSize: 4, outputSize: 3, rng: &rng)),
            ("act", ReLU()),
            ("fc2", Linear(inputSize: 3, outputSize: 2, rng: &rng)),
        ])
    }

    @Test func sequentialNamesChildrenByPosition() {
        var rng = RandomGenerator(seed: 2)
        let net = Sequential(Linear(inputSize: 4, outputSize: 3, rng: &rng), ReLU(),
                             Linear(inputSize: 3, outputSize: 2, rng: &rng))
        #expect(net.children.map(\.name) == ["0", "1", "2"])
        // The ReLU at position 1 has no parameters, so its number is skipped (as in PyTorch).
        #expect(net.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(net.namedParameters().map(\.tensor.shape) == [[3, 4], [3], [2, 3], [2]])
    }

    @Test func namedSequentialAndNesting() {
        let net = namedNet()
        #expect(net.namedParameters().map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let outer = Sequential(named: [("encoder", net), ("head", Sigmoid())])
        #expect(outer.namedParameters().map(\.name)
                == ["encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "encoder.fc2.bias"])
        // 4·3 + 3 + 3·2 + 2 = 23
        #expect(outer.parameterCount == 23)
    }

    @Test func parametersAreTheLayersOwnTensors() {
        let net = namedNet()
        let fc1 = net.layers[0] as! Linear
        #expect(net.namedParameters()[0].tensor === fc1.weight)
        #expect(net.namedParameters().allSatisfy { $0.tensor.requiresGrad })
    }

    @Test func buffersAreNamedLikeParameters() {
        final class RunningStats: Module {
            override init() {
                super.init()
                registerBuffer("runningMean", Tensor.zeros([3]))
            }
            override func forward(_ x: Tensor) -> Tensor { x }
        }
        let net = Sequential(named: [("bn", RunningStats())])
        #expect(net.namedBuffers().map(\.name) == ["bn.runningMean"])
        #expect(net.namedParameters().isEmpty)
        #expect(!net.namedBuffers()[0].tensor.requiresGrad, "buffers are not learned")
    }

    @Test func trainAndEvalPropagateToDescendants() {
        let inner = Sequential(Dropout(p: 0.5), ReLU())
        let net = Sequential(named: [("block", inner), ("out", Dropout(p: 0.1))])
        #expect(net.isTraining && inner.layers[0].isTraining)
        net.eval()
        #expect(!net.isTraining && !inner.isTraining && !inner.layers[0].isTraining)
        #expect(!net.layers[1].isTraining)
        net.train()
        #expect(inner.layers[0].isTraining && net.layers[1].isTraining)
        net.train(false)
        #expect(!inner.layers[1].isTraining)
    }

    @Test func freezeAndUnfreezeByPrefix() {
        let net = namedNet()
        func trainable() -> [String] { net.namedParameters().filter(\.tensor.requiresGrad).map(\.name) }
        net.freeze(prefix: "fc1")
        #expect(trainable() == ["fc2.weight", "fc2.bias"])
        // A prefix matches whole name components: "fc" is not "fc1" or "fc2".
        net.freeze(prefix: "fc")
        #expect(trainable() == ["fc2.weight", "fc2.bias"])
        net.unfreeze(prefix: "fc1.weight")   // an exact name works too
        #expect(trainable() == ["fc1.weight", "fc2.weight", "fc2.bias"])
        net.freeze()
        #expect(trainable().isEmpty)
        net.unfreeze()
        #expect(trainable().count == 4)
    }

    @Test func frozenLayerGetsNoGradientButOthersDo() {
        let net = namedNet()
        net.freeze(prefix: "fc1")
        let arena = ParameterArena(parameters: net.namedParameters())
        let x = randomTensor([5, 4], seed: 3)
        crossEntropy(logits: net(x), labels: [0, 1, 0, 1, 1]).backward()
        let fc1 = arena.entry(named: "fc1.weight")!, fc2 = arena.entry(named: "fc2.weight")!
        #expect(arena.grads[0..<(fc1.count + 3)].allSatisfy { $0 == 0 }, "fc1.weight and fc1.bias")
        #expect(arena.grads[fc2.offset..<(fc2.offset + fc2.count)].contains { $0 != 0 })
        #expect(arena.trainableCount == 3 * 2 + 2)
    }
}
