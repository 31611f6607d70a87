import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Exact values after 3 steps. Element 0 starts at θ = 1 and sees gradients 0.5, 0.25, −1.
@Suite struct AdagradTests {
    @Test func learningRateDecayByHand() throws {
        // γ = 0.1, η = 0.5 (γ̃ = γ/(1 + (t−1)η)), initial accumulator 0.1, ε = 1e-10:
        // t=1: γ̃ = 0.1;      s = 0.1 + 0.25 = 0.35;     √s = 0.5916080; θ = 1 − 0.1·0.5/0.5916080 = 0.9154846
        // t=2: γ̃ = 0.1/1.5;  s = 0.35 + 0.0625 = 0.4125; √s = 0.6422616; θ = 0.9154846 − 0.0166667/0.6422616 = 0.8895346
        // t=3: γ̃ = 0.1/2;    s = 0.4125 + 1 = 1.4125;   √s = 1.1884864; θ = 0.8895346 + 0.05/1.1884864 = 0.9316049
        let arena = makeArena([("w", initialTheta)])
        let adagrad = try Adagrad(arena: arena, learningRate: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.1)
        run(adagrad, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.9316049)
        #expect(adagrad.stateBuffers.map(\.name) == ["sum"])
        expectClose(adagrad.stateBuffers[0].values[0], 1.4125)
    }

    @Test func initialAccumulatorFillsTheSum() throws {
        let adagrad = try Adagrad(arena: makeArena([("w", initialTheta)]), initialAccumulatorValue: 0.25)
        #expect(Array(adagrad.stateBuffers[0].values) == [0.25, 0.25, 0.25])
    }

    @Test func weightDecayByHand() throws {
        // Same as above with λ = 0.1 (g ← g + λθ). Worked in Double from the doc formula:
        // t=1: g = 0.6;        s = 0.46;      θ = 1 − 0.1·0.6/0.6782330 = 0.9115348
        // t=2: g = 0.3411535;  s = 0.5763857; θ = 0.9115348 − (0.1/1.5)·0.3411535/0.7592007 = 0.8815776
        // t=3: g = −0.9118422; s = 1.4078420; θ = 0.8815776 + 0.05·0.9118422/1.1865252 = 0.9200025
        let arena = makeArena([("w", initialTheta)])
        let adagrad = try Adagrad(arena: arena, learningRate: 0.1, lrDecay: 0.5, weightDecay: 0.1,
                                  initialAccumulatorValue: 0.1)
        run(adagrad, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.9200025)
    }

    @Test func matchesReferenceOnAQuadratic() throws {
        for (lrDecay, wd, initial, eps) in [(Float(0), Float(0), Float(0), Float(1e-10)), (0.1, 0.05, 0.5, 1e-3),
                                            (2, 0.3, 0, 1e-6)] {
            let arena = makeArena([("w", initialTheta)])
            let adagrad = try Adagrad(arena: arena, learningRate: 0.2, lrDecay: lrDecay, weightDecay: wd,
                                      initialAccumulatorValue: initial, epsilon: eps)
            run(adagrad, steps: 3, gradient: quadraticGradient)
            let expected = Reference.adagrad(initialTheta, steps: 3, lr: 0.2, lrDecay: Double(lrDecay),
                                             weightDecay: Double(wd), initialAccumulator: Double(initial),
                                             eps: Double(eps), gradient: quadraticGradient)
            expectClose(values(arena), floats(expected), "Adagrad lrDecay \(lrDecay) wd \(wd) init \(initial)")
        }
    }
}
