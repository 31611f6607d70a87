import Testing
import SynapseCore
import SynapseOptim

/// Sharpness-aware minimization's ascent step, against values worked out by hand.
struct SharpnessAwareMinimizationTests {
    private func setGrads(_ arena: ParameterArena, _ values: [Float]) {
        for (i, v) in values.enumerated() { arena.grads[i] = v }
    }

    @Test func ascendMovesRhoAlongTheGradientAndRestoreComesBackBitExactly() {
        let arena = makeArena([("w", [3, -4]), ("b", [0.1])])
        setGrads(arena, [3, 0, -4])   // ‖g‖ = 5
        let sam = SharpnessAwareMinimization(rho: 0.5, arena: arena)
        let norm = sam.ascend()
        #expect(abs(norm - 5) < 1e-12)
        // e = 0.5 · g / 5 = [0.3, 0, −0.4]
        #expect(abs(arena.values[0] - 3.3) < 1e-6 && arena.values[1] == -4 && abs(arena.values[2] - (0.1 - 0.4)) < 1e-6)
        #expect(sam.isPerturbed)
        #expect(Array(arena.grads) == [3, 0, -4], "the gradients are left for the caller to zero")
        sam.restore()
        #expect(Array(arena.values).map(\.bitPattern) == [Float(3), -4, 0.1].map(\.bitPattern))
        #expect(!sam.isPerturbed)
    }

    @Test func adaptiveScalesTheAscentByTheWeights() {
        // w = [1, −2], g = [3, 1]: T g = |w|·g = [3, 2], ‖T g‖ = √13;
        // e = ρ · w² · g / √13 = [3, 4] / √13 for ρ = 1.
        let arena = makeArena([("w", [1, -2])])
        setGrads(arena, [3, 1])
        let sam = SharpnessAwareMinimization(rho: 1, adaptive: true, arena: arena)
        let norm = sam.ascend()
        #expect(abs(norm - Double(13).squareRoot()) < 1e-12)
        let r = Float(Double(13).squareRoot())
        #expect(abs(arena.values[0] - (1 + 3 / r)) < 1e-6 && abs(arena.values[1] - (-2 + 4 / r)) < 1e-6)
        sam.restore()
        #expect(Array(arena.values) == [1, -2])
    }

    @Test func frozenParametersNeitherMoveNorCountInTheNorm() {
        let arena = makeArena([("a", [1]), ("frozen", [2, 2]), ("b", [3])])
        arena.tensor(named: "frozen")!.requiresGrad = false
        setGrads(arena, [3, 100, 100, 4])   // the frozen slice holds a stale gradient
        let sam = SharpnessAwareMinimization(rho: 5, arena: arena)
        #expect(abs(sam.ascend() - 5) < 1e-12, "‖[3, 4]‖ only")
        #expect(Array(arena.values) == [4, 2, 2, 7])
    }

    @Test func aZeroOrNonFiniteGradientLeavesTheWeightsWhereTheyAre() {
        let arena = makeArena([("w", [1, 2])])
        let sam = SharpnessAwareMinimization(rho: 0.05, arena: arena)
        #expect(sam.ascend() == 0)
        #expect(Array(arena.values) == [1, 2])
        sam.restore()
        setGrads(arena, [.nan, 1])
        #expect(sam.ascend().isNaN)
        #expect(Array(arena.values) == [1, 2])
        sam.restore()
    }
}
