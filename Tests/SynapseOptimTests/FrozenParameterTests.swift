import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Frozen parameters (requiresGrad = false) keep their exact values, whatever the optimizer's
/// weight decay or momentum, and whatever stale gradient sits in their slice of the arena.
@Suite struct FrozenParameterTests {
    static let optimizers: [String] = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]

    func make(_ name: String, _ arena: ParameterArena) throws -> any Optimizer {
        switch name {
        case "SGD": return try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, weightDecay: 0.5)
        case "Adam": return try Adam(arena: arena, learningRate: 0.1, weightDecay: 0.5)
        case "AdamW": return try AdamW(arena: arena, learningRate: 0.1, weightDecay: 0.5)
        case "RMSprop": return try RMSprop(arena: arena, learningRate: 0.1, weightDecay: 0.5, momentum: 0.9, centered: true)
        default: return try Adagrad(arena: arena, learningRate: 0.1, weightDecay: 0.5, initialAccumulatorValue: 0.1)
        }
    }

    @Test(arguments: optimizers)
    func frozenParametersAreUntouched(_ name: String) throws {
        // Layout: a (trainable) | frozen | b (trainable): two trainable ranges around a hole.
        let arena = makeArena([("a", [1, 2]), ("frozen", [3, -4, 5]), ("b", [6])])
        arena.tensor(named: "frozen")!.requiresGrad = false
        #expect(arena.trainableRanges == [0..<2, 5..<6])
        let optimizer = try make(name, arena)
        let stateBefore = optimizer.stateBuffers.map { Array($0.values) }
        for _ in 0..<3 {
            for i in 0..<arena.count { arena.grads[i] = 0.5 }
            optimizer.step()
        }
        #expect(Array(arena.values[2..<5]) == [3, -4, 5], "\(name) changed a frozen parameter")
        #expect(arena.values[0] != 1 && arena.values[5] != 6, "\(name) did not train the others")
        for (k, buffer) in optimizer.stateBuffers.enumerated() {
            #expect(Array(buffer.values[2..<5]) == Array(stateBefore[k][2..<5]),
                    "\(name) changed the frozen slice of \(buffer.name)")
        }
    }

    @Test func regularizationAndClippingSkipFrozenParameters() throws {
        let arena = makeArena([("a", [3]), ("frozen", [100])])
        arena.tensor(named: "frozen")!.requiresGrad = false
        arena.grads[0] = 4; arena.grads[1] = 1000
        try Regularization(l1: 1, l2: 1).apply(to: arena)
        #expect(arena.grads[1] == 1000)
        #expect(try Regularization(l2: 2).penalty(of: arena) == 9)    // (2/2)·3², the frozen 100 not counted
        // Trainable gradient is now 4 + 1 + 3 = 8; the frozen 1000 does not count in the norm.
        #expect(clipGradientNorm(of: arena, maxNorm: 100) == 8)
    }
}
