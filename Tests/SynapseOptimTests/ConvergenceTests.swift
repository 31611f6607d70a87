import Testing
import SynapseCore
import SynapseNN
import SynapseOptim
import SynapseTestSupport

/// Every optimizer, driven by real autograd gradients, fits a small linear regression
/// y = X·w* + b* (full batch, so this is full-batch gradient descent for SGD).
@Suite struct ConvergenceTests {
    /// Trains a Linear(3 → 1) on 32 noiseless samples and returns (final loss, learned weights+bias).
    func fit(steps: Int, makeOptimizer: (ParameterArena) throws -> any Optimizer) throws -> (Float, [Float]) {
        var rng = RandomGenerator(seed: 7)
        let model = Linear(inputSize: 3, outputSize: 1, rng: &rng)
        let arena = ParameterArena(parameters: model.namedParameters())
        let optimizer = try makeOptimizer(arena)
        let x = randomTensor([32, 3], seed: 11)
        let trueWeights: [Float] = [2, -1, 0.5], trueBias: Float = 0.3
        let y = Tensor(shape: [32, 1], values: (0..<32).map { n in
            (0..<3).reduce(trueBias) { $0 + x.data[n * 3 + $1] * trueWeights[$1] }
        })
        var loss: Float = .infinity
        for _ in 0..<steps {
            arena.zeroGrads()
            let l = mseLoss(model(x), y)
            loss = l.item()
            l.backward()
            optimizer.step()
        }
        return (loss, values(arena))
    }

    @Test(arguments: ["SGD", "SGD momentum", "SGD nesterov", "Adam", "AdamW", "RMSprop", "RMSprop centered", "Adagrad"])
    func reachesLowLoss(_ name: String) throws {
        let (loss, learned) = try fit(steps: 400) { arena -> any Optimizer in
            switch name {
            case "SGD": return try SGD(arena: arena, learningRate: 0.3)
            case "SGD momentum": return try SGD(arena: arena, learningRate: 0.05, momentum: 0.9)
            case "SGD nesterov": return try SGD(arena: arena, learningRate: 0.05, momentum: 0.9, nesterov: true)
            case "Adam": return try Adam(arena: arena, learningRate: 0.05)
            case "AdamW": return try AdamW(arena: arena, learningRate: 0.05, weightDecay: 1e-4)
            case "RMSprop": return try RMSprop(arena: arena, learningRate: 0.01)
            case "RMSprop centered": return try RMSprop(arena: arena, learningRate: 0.01, centered: true)
            default: return try Adagrad(arena: arena, learningRate: 0.5)
            }
        }
        #expect(loss < 1e-4, "\(name): final loss \(loss)")
        expectClose(learned, [2, -1, 0.5, 0.3], atol: 2e-2, "\(name) parameters")
    }
}
