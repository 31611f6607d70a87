import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Weight decay restricted to some parameters (`ParameterArena.setWeightDecay(where:)`, nanoGPT's
/// "decay matrices, not biases or norms"): the exempt ones move exactly as with no decay, the
/// others exactly as with decay, for every optimizer.
@Suite struct WeightDecayGroupTests {
    /// An arena laid out as matrix | bias | matrix | gain: decay segments alternate.
    static func arena() -> ParameterArena {
        ParameterArena(parameters: [
            ("w1", Tensor(shape: [2, 2], values: [1, -2, 0.5, 3], requiresGrad: true)),
            ("b1", Tensor(shape: [2], values: [0.7, -0.3], requiresGrad: true)),
            ("w2", Tensor(shape: [1, 2], values: [-1, 2], requiresGrad: true)),
            ("g", Tensor(shape: [2], values: [1, 1], requiresGrad: true)),
        ])
    }

    func make(_ name: String, _ arena: ParameterArena, decay: Float) throws -> any Optimizer {
        switch name {
        case "SGD": return try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, weightDecay: decay)
        case "Adam": return try Adam(arena: arena, learningRate: 0.1, weightDecay: decay)
        case "AdamW": return try AdamW(arena: arena, learningRate: 0.1, weightDecay: decay)
        case "RMSprop": return try RMSprop(arena: arena, learningRate: 0.1, weightDecay: decay, momentum: 0.9)
        default: return try Adagrad(arena: arena, learningRate: 0.1, weightDecay: decay)
        }
    }

    @Test func segmentsFollowTheRankRule() {
        let arena = Self.arena()
        #expect(arena.trainableDecaySegments.map(\.decays) == [true])
        arena.setWeightDecay { $0.shape.count >= 2 }
        #expect(arena.trainableDecaySegments.map(\.range) == [0..<4, 4..<6, 6..<8, 8..<10])
        #expect(arena.trainableDecaySegments.map(\.decays) == [true, false, true, false])
        arena.tensor(named: "b1")!.requiresGrad = false   // frozen: w1 and w2 are no longer neighbours
        #expect(arena.trainableDecaySegments.map(\.range) == [0..<4, 6..<8, 8..<10])
    }

    @Test(arguments: ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
    func exemptParametersMoveAsWithoutDecay(_ name: String) throws {
        let grouped = Self.arena(), decayed = Self.arena(), plain = Self.arena()
        grouped.setWeightDecay { $0.shape.count >= 2 }
        let optimizers = try [make(name, grouped, decay: 0.5), make(name, decayed, decay: 0.5), make(name, plain, decay: 0)]
        for step in 0..<3 {
            for arena in [grouped, decayed, plain] {
                for i in 0..<arena.count { arena.grads[i] = Float(i % 3) * 0.25 - 0.2 + Float(step) * 0.1 }
            }
            for o in optimizers { o.step() }
        }
        let g = Array(grouped.values), d = Array(decayed.values), p = Array(plain.values)
        #expect(Array(g[0..<4]) == Array(d[0..<4]) && Array(g[6..<8]) == Array(d[6..<8]), "\(name): matrices decay")
        #expect(Array(g[4..<6]) == Array(p[4..<6]) && Array(g[8..<10]) == Array(p[8..<10]), "\(name): bias and gain do not")
        #expect(Array(d[4..<6]) != Array(p[4..<6]), "\(name): the test's decay is large enough to show")
    }
}
