import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

@Suite struct RegularizationTests {
    @Test func gradientAndPenaltyByHand() throws {
        // θ = [2, −3, 0], g = [0.1, 0.1, 0.1], l1 = 0.5, l2 = 0.2:
        // g += l1·sign(θ) + l2·θ = [0.1 + 0.5 + 0.4, 0.1 − 0.5 − 0.6, 0.1 + 0 + 0] = [1, −1, 0.1]
        // penalty = 0.5·(2 + 3 + 0) + (0.2/2)·(4 + 9 + 0) = 2.5 + 1.3 = 3.8
        let arena = makeArena([("w", [2, -3, 0])])
        for i in 0..<3 { arena.grads[i] = 0.1 }
        let regularization = try Regularization(l1: 0.5, l2: 0.2)
        regularization.apply(to: arena)
        expectClose(Array(arena.grads), [1, -1, 0.1])
        #expect(abs(regularization.penalty(of: arena) - 3.8) < 1e-6)
    }

    @Test func gradientIsTheDerivativeOfThePenalty() throws {
        // Central differences of penalty(θ) in Double match what apply(to:) adds (θ away from 0).
        let arena = makeArena([("a", [0.7, -1.3]), ("b", [2.1])])
        let regularization = try Regularization(l1: 0.3, l2: 0.8)
        regularization.apply(to: arena)   // grads were 0, so they now hold the penalty's gradient
        let h: Float = 1e-2
        for i in 0..<arena.count {
            let saved = arena.values[i]
            arena.values[i] = saved + h
            let plus = regularization.penalty(of: arena)
            arena.values[i] = saved - h
            let minus = regularization.penalty(of: arena)
            arena.values[i] = saved
            expectClose(arena.grads[i], Float((plus - minus) / (2 * Double(h))), rtol: 1e-4, "element \(i)")
        }
    }

    @Test func l2EqualsTheOptimizersWeightDecay() throws {
        // With the (l2/2)·Σθ² convention, Regularization(l2: λ) + SGD == SGD(weightDecay: λ), bit for bit.
        let viaPenalty = makeArena([("w", initialTheta)]), viaDecay = makeArena([("w", initialTheta)])
        let plain = try SGD(arena: viaPenalty, learningRate: 0.1, momentum: 0.9)
        let decayed = try SGD(arena: viaDecay, learningRate: 0.1, momentum: 0.9, weightDecay: 0.3)
        let l2 = try Regularization(l2: 0.3)
        for s in 0..<3 {
            for i in 0..<3 { viaPenalty.grads[i] = fixedGradients[s][i]; viaDecay.grads[i] = fixedGradients[s][i] }
            l2.apply(to: viaPenalty)
            plain.step()
            decayed.step()
        }
        #expect(values(viaPenalty) == values(viaDecay))
    }

    @Test func noneChangesNothing() {
        let arena = makeArena([("w", [1, -1])])
        arena.grads[0] = 0.25
        Regularization.none.apply(to: arena)
        #expect(Array(arena.grads) == [0.25, 0])
        #expect(Regularization.none.penalty(of: arena) == 0)
        #expect(Regularization.none.isNone)
    }
}

@Suite struct GradientClippingTests {
    @Test func scalesDownToMaxNormByHand() {
        // g = [3] and [4] in two parameters: global norm √(9 + 16) = 5 (not per parameter).
        // maxNorm 1: factor 1/(5 + 1e-6) → g = [0.6, 0.8] (just under, by the 1e-6).
        let arena = makeArena([("a", [0]), ("b", [0])])
        arena.grads[0] = 3; arena.grads[1] = 4
        let norm = clipGradientNorm(of: arena, maxNorm: 1)
        #expect(norm == 5)
        expectClose(Array(arena.grads), [0.6, 0.8])
        #expect(gradientNorm(of: arena) < 1)
        #expect(gradientNorm(of: arena) > 1 - 1e-5)
    }

    @Test func smallGradientsAreLeftAlone() {
        let arena = makeArena([("a", [0, 0])])
        arena.grads[0] = 3; arena.grads[1] = 4
        #expect(clipGradientNorm(of: arena, maxNorm: 10) == 5)
        #expect(Array(arena.grads) == [3, 4])
    }

    @Test func normIsAccumulatedInDouble() {
        // 10⁶ elements of 1e-3: Σg² = 1, norm 1. A Float running sum would drift visibly.
        let n = 1_000_000
        let arena = makeArena([("w", [Float](repeating: 0, count: n))])
        for i in 0..<n { arena.grads[i] = 1e-3 }
        #expect(abs(gradientNorm(of: arena) - 1) < 1e-6)
    }

    @Test func nonFiniteNormLeavesGradientsForTheCallerToHandle() {
        let arena = makeArena([("w", [0, 0])])
        arena.grads[0] = .infinity; arena.grads[1] = 1
        #expect(clipGradientNorm(of: arena, maxNorm: 1) == .infinity)
        #expect(Array(arena.grads) == [.infinity, 1])
        arena.grads[0] = .nan
        #expect(clipGradientNorm(of: arena, maxNorm: 1).isNaN)
    }
}
