import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Exact values after 3 steps. Element 0 starts at θ = 1 and sees gradients 0.5, 0.25, −1.
@Suite struct AdamTests {
    @Test func biasCorrectedStepsByHand() throws {
        // γ = 0.1, β = (0.9, 0.999), ε = 1e-8.
        // t=1: m = 0.1·0.5 = 0.05;  v = 0.001·0.25 = 0.00025
        //      m̂ = 0.05/(1−0.9) = 0.5;  v̂ = 0.00025/(1−0.999) = 0.25;  √v̂ = 0.5
        //      θ = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002   (bias correction: step 1 moves by ≈ γ)
        // t=2: m = 0.045 + 0.025 = 0.07;  v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
        //      m̂ = 0.07/0.19 = 0.3684211;  v̂ = 0.00031225/0.001999 = 0.1562031;  √v̂ = 0.3952254
        //      θ = 0.900000002 − 0.1·0.3684211/0.3952254 = 0.8067820
        // t=3: m = 0.063 − 0.1 = −0.037;  v = 0.999·0.00031225 + 0.001 = 0.00131194
        //      m̂ = −0.037/0.271 = −0.1365314;  v̂ = 0.00131194/0.002997001 = 0.4377502;  √v̂ = 0.6616269
        //      θ = 0.8067820 + 0.1·0.1365314/0.6616269 = 0.8274177
        let arena = makeArena([("w", initialTheta)])
        let adam = try Adam(arena: arena, learningRate: 0.1)
        run(adam, steps: 1, gradient: fixed)
        expectClose(arena.values[0], 0.9)
        run(adam, steps: 2, from: 1, gradient: fixed)
        expectClose(arena.values[0], 0.8274177)
        #expect(adam.stateBuffers.map(\.name) == ["exp_avg", "exp_avg_sq"])
        expectClose(adam.stateBuffers[0].values[0], -0.037)
        expectClose(adam.stateBuffers[1].values[0], 0.00131194, rtol: 1e-4)
        expectClose(values(arena), floats(Reference.adam(initialTheta, steps: 3, lr: 0.1, gradient: fixed)))
    }

    @Test func firstStepMovesByTheLearningRateWhateverTheGradientScale() throws {
        // m̂₁ = g and √v̂₁ = |g|, so step 1 is γ·sign(g) (up to ε) for tiny and huge gradients alike.
        let arena = makeArena([("w", [0, 0, 0])])
        let adam = try Adam(arena: arena, learningRate: 0.01)
        for (i, g) in [Float(1e-3), -1e3, 7].enumerated() { arena.grads[i] = g }
        adam.step()
        expectClose(values(arena), [-0.01, 0.01, -0.01], rtol: 1e-4)
    }

    @Test func l2WeightDecayEntersTheMoments() throws {
        // λ = 0.1 is added to g before the moments: t=1 g = 0.5 + 0.1·1 = 0.6, so m = 0.06.
        // Final θ from the doc formula (worked in Double): 0.8120983.
        let arena = makeArena([("w", initialTheta)])
        let adam = try Adam(arena: arena, learningRate: 0.1, weightDecay: 0.1)
        run(adam, steps: 1, gradient: fixed)
        expectClose(adam.stateBuffers[0].values[0], 0.06)
        run(adam, steps: 2, from: 1, gradient: fixed)
        expectClose(arena.values[0], 0.8120983)
    }

    @Test func matchesReferenceOnAQuadratic() throws {
        for (betas, eps, wd) in [((Float(0.9), Float(0.999)), Float(1e-8), Float(0)),
                                 ((0.8, 0.99), 1e-3, 0.2), ((0.5, 0.9), 0.1, 0.01)] {
            let arena = makeArena([("w", initialTheta)])
            let adam = try Adam(arena: arena, learningRate: 0.05, betas: betas, epsilon: eps, weightDecay: wd)
            run(adam, steps: 3, gradient: quadraticGradient)
            let expected = Reference.adam(initialTheta, steps: 3, lr: 0.05, betas: (Double(betas.0), Double(betas.1)),
                                          eps: Double(eps), weightDecay: Double(wd), gradient: quadraticGradient)
            expectClose(values(arena), floats(expected), "Adam betas \(betas) eps \(eps) wd \(wd)")
        }
    }
}

@Suite struct AdamWTests {
    @Test func decoupledDecayByHand() throws {
        // γ = 0.1, λ = 0.1: θ ← θ·(1 − 0.01) first, then the same Adam step as without decay
        // (the gradients are fixed, so m and v are those of AdamTests.biasCorrectedStepsByHand):
        // t=1: θ = 0.99 − 0.1·0.5/0.5 = 0.890000002
        // t=2: θ = 0.99·0.890000002 − 0.1·0.3684211/0.3952254 = 0.8811 − 0.0932182 = 0.7878820
        // t=3: θ = 0.99·0.7878820 + 0.1·0.1365314/0.6616269 = 0.7800032 + 0.0206357 = 0.8006389
        let arena = makeArena([("w", initialTheta)])
        let adamW = try AdamW(arena: arena, learningRate: 0.1, weightDecay: 0.1)
        run(adamW, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.8006389)
        expectClose(values(arena), floats(Reference.adam(initialTheta, steps: 3, lr: 0.1, decoupledWeightDecay: 0.1,
                                                          gradient: fixed)))
    }

    @Test func decayNeverReachesTheMoments() throws {
        // Same gradients, with and without decoupled decay: identical m and v, different θ.
        let decayed = makeArena([("w", initialTheta)]), plain = makeArena([("w", initialTheta)])
        let a = try AdamW(arena: decayed, learningRate: 0.1, weightDecay: 0.5)
        let b = try AdamW(arena: plain, learningRate: 0.1, weightDecay: 0)
        run(a, steps: 3, gradient: fixed)
        run(b, steps: 3, gradient: fixed)
        for k in 0..<2 { #expect(Array(a.stateBuffers[k].values) == Array(b.stateBuffers[k].values)) }
        #expect(values(decayed) != values(plain))
    }

    @Test func withoutDecayEqualsAdamBitForBit() throws {
        let x = makeArena([("w", initialTheta)]), y = makeArena([("w", initialTheta)])
        run(try AdamW(arena: x, learningRate: 0.05, weightDecay: 0), steps: 3, gradient: quadraticGradient)
        run(try Adam(arena: y, learningRate: 0.05), steps: 3, gradient: quadraticGradient)
        #expect(values(x) == values(y))
    }

    @Test func defaultDecayIsPyTorchs() throws {
        #expect(try AdamW(arena: makeArena([("w", [1])])).weightDecay == 0.01)
        #expect(try Adam(arena: makeArena([("w", [1])])).weightDecay == 0)
    }

    @Test func matchesReferenceOnAQuadratic() throws {
        let arena = makeArena([("w", initialTheta)])
        let adamW = try AdamW(arena: arena, learningRate: 0.05, betas: (0.8, 0.99), epsilon: 1e-3, weightDecay: 0.3)
        run(adamW, steps: 3, gradient: quadraticGradient)
        let expected = Reference.adam(initialTheta, steps: 3, lr: 0.05, betas: (0.8, 0.99), eps: 1e-3,
                                      decoupledWeightDecay: 0.3, gradient: quadraticGradient)
        expectClose(values(arena), floats(expected))
    }
}
