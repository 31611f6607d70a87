import Testing
import SynapseCore
import SynapseNN
@testable import SynapseTrain
import SynapseTestSupport

/// The CNN builder's layer order: max pooling moved before a monotone activation must give the
/// network the config describes (conv → bn → act → pool), value for value and gradient for
/// gradient.
@Suite struct ModelFactoryTests {
    func cnn(_ activation: ModelConfig.Activation = .relu, pool: ModelConfig.Pool = .max,
             residualBlocks: Int = 0, seed: UInt64) throws -> Module {
        var rng = RandomGenerator(seed: seed)
        let config = ModelConfig(kind: .cnn, hidden: [8], activation: activation, conv: [3, 4], kernelSize: 3,
                                 batchNorm: true, residualBlocks: residualBlocks, pool: pool)
        return try ModelFactory.build(config: config, inputShape: [1, 8, 8], outputSize: 5, rng: &rng)
    }

    @Test func maxPoolingRunsBeforeMonotoneActivations() throws {
        for activation in [ModelConfig.Activation.relu, .leakyRelu, .sigmoid, .tanh] {
            let names = try cnn(activation, seed: 1).children.map(\.name)
            #expect(Array(names.prefix(4)) == ["conv1", "bn1", "pool1", "act1"], "\(activation)")
        }
        // GELU is not monotone; average pooling does not commute with a nonlinearity; a
        // residual block sits between activation and pooling.
        #expect(Array(try cnn(.gelu, seed: 1).children.map(\.name).prefix(4)) == ["conv1", "bn1", "act1", "pool1"])
        #expect(Array(try cnn(pool: .avg, seed: 1).children.map(\.name).prefix(4)) == ["conv1", "bn1", "act1", "pool1"])
        #expect(Array(try cnn(residualBlocks: 1, seed: 1).children.map(\.name).prefix(5))
                == ["conv1", "bn1", "act1", "res1_1", "pool1"])
    }

    @Test func vggStyleBlocksStackConvLayersBeforePooling() throws {
        var rng = RandomGenerator(seed: 5)
        let config = ModelConfig(kind: .cnn, hidden: [8], conv: [3, 4], kernelSize: 3, convsPerBlock: 2, batchNorm: true)
        let model = try ModelFactory.build(config: config, inputShape: [1, 8, 8], outputSize: 5, rng: &rng)
        #expect(Array(model.children.map(\.name).prefix(14))
                == ["conv1", "bn1", "act1", "conv1_2", "bn1_2", "pool1", "act1_2",
                    "conv2", "bn2", "act2", "conv2_2", "bn2_2", "pool2", "act2_2"])
        // Convs 1→3, 3→3, 3→4, 4→4 (3×3, no bias) + 4 batch norms (γ, β) + 16→8→5 linear layers:
        // 27 + 81 + 108 + 144 + 2·(3 + 3 + 4 + 4) + (16·8 + 8) + (8·5 + 5) = 569.
        #expect(model.parameterCount == 569)
        #expect(noGrad { model(randomTensor([2, 1, 8, 8], seed: 6)) }.shape == [2, 5])
    }

    @Test func poolingFirstEqualsTheConfiguredOrder() throws {
        for activation in [ModelConfig.Activation.relu, .leakyRelu, .tanh] {
            let built = try cnn(activation, seed: 2)
            // The same modules (same parameters) in the order the config reads.
            var reordered = built.children.map { ($0.name, $0.module) }
            for k in ["1", "2"] {
                let p = reordered.firstIndex { $0.0 == "pool" + k }!, a = reordered.firstIndex { $0.0 == "act" + k }!
                reordered.swapAt(p, a)
            }
            let reference = Sequential(named: reordered)
            let x1 = randomTensor([3, 1, 8, 8], seed: 3), x2 = x1.copy()
            x1.requiresGrad = true
            x2.requiresGrad = true
            let y1 = built(x1), y2 = reference(x2)
            expectClose(y1.scalars, y2.scalars, rtol: 0, atol: 0)
            weightedSum(y1, seed: 4).backward()
            let builtGrads = built.namedParameters().map { $0.tensor.grad!.scalars }
            for (_, p) in built.namedParameters() { p.grad = nil }
            weightedSum(y2, seed: 4).backward()
            expectClose(x1.grad!.scalars, x2.grad!.scalars, rtol: 0, atol: 0)
            for (k, (name, p)) in reference.namedParameters().enumerated() {
                expectClose(builtGrads[k], p.grad!.scalars, rtol: 0, atol: 0, "\(activation) \(name)")
            }
        }
    }
}
