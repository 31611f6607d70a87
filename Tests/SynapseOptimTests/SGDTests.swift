import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Exact values after 3 steps. Element 0 starts at θ = 1 and sees gradients 0.5, 0.25, −1.
@Suite struct SGDTests {
    @Test func plainStepsByHand() throws {
        // γ = 0.1: θ = 1 − 0.05 = 0.95 → 0.95 − 0.025 = 0.925 → 0.925 + 0.1 = 1.025
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1)
        run(sgd, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 1.025)
        #expect(sgd.stateBuffers.isEmpty)
        #expect(sgd.stepCount == 3)
    }

    @Test func momentumBufferStartsAsTheGradient() throws {
        // γ = 0.1, μ = 0.9:
        // t=1: b = g = 0.5 (the buffer starts as g); θ = 1 − 0.05 = 0.95
        // t=2: b = 0.9·0.5 + 0.25 = 0.7;        θ = 0.95 − 0.07 = 0.88
        // t=3: b = 0.9·0.7 − 1 = −0.37;         θ = 0.88 + 0.037 = 0.917
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1, momentum: 0.9)
        run(sgd, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.917)
        expectClose(sgd.stateBuffers[0].values[0], -0.37)
        #expect(sgd.stateBuffers.map(\.name) == ["momentum_buffer"])
        expectClose(values(arena), floats(Reference.sgd(initialTheta, steps: 3, lr: 0.1, momentum: 0.9, gradient: fixed)))
    }

    @Test func nesterovAddsMomentumTimesBuffer() throws {
        // γ = 0.1, μ = 0.9, update direction g + μ·b:
        // t=1: b = 0.5;  d = 0.5 + 0.45 = 0.95;     θ = 1 − 0.095 = 0.905
        // t=2: b = 0.7;  d = 0.25 + 0.63 = 0.88;    θ = 0.905 − 0.088 = 0.817
        // t=3: b = −0.37; d = −1 − 0.333 = −1.333;  θ = 0.817 + 0.1333 = 0.9503
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, nesterov: true)
        run(sgd, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.9503)
        expectClose(values(arena), floats(Reference.sgd(initialTheta, steps: 3, lr: 0.1, momentum: 0.9,
                                                         nesterov: true, gradient: fixed)))
    }

    @Test func dampeningAndWeightDecay() throws {
        // γ = 0.1, μ = 0.9, τ = 0.5, λ = 0.1 (g ← g + λθ):
        // t=1: g = 0.5 + 0.1 = 0.6;         b = 0.6 (first step: no dampening);  θ = 1 − 0.06 = 0.94
        // t=2: g = 0.25 + 0.094 = 0.344;    b = 0.54 + 0.5·0.344 = 0.712;        θ = 0.94 − 0.0712 = 0.8688
        // t=3: g = −1 + 0.08688 = −0.91312; b = 0.6408 − 0.45656 = 0.18424;      θ = 0.8688 − 0.018424 = 0.850376
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1)
        run(sgd, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.850376)
        expectClose(sgd.stateBuffers[0].values[0], 0.18424)
        expectClose(values(arena), floats(Reference.sgd(initialTheta, steps: 3, lr: 0.1, momentum: 0.9, dampening: 0.5,
                                                         weightDecay: 0.1, gradient: fixed)))
    }

    @Test func plainWeightDecayByHand() throws {
        // γ = 0.1, λ = 0.1: g = 0.6 → θ = 0.94; g = 0.25 + 0.094 = 0.344 → θ = 0.9056;
        // g = −1 + 0.09056 = −0.90944 → θ = 0.9056 + 0.090944 = 0.996544
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1, weightDecay: 0.1)
        run(sgd, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.996544)
    }

    @Test func matchesReferenceOnAQuadratic() throws {
        let configs: [(momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool)] = [
            (0, 0, 0, false), (0.9, 0, 0, false), (0.8, 0.3, 0.05, false), (0.9, 0, 0.1, true),
        ]
        for c in configs {
            let arena = makeArena([("w", initialTheta)])
            let sgd = try SGD(arena: arena, learningRate: 0.05, momentum: c.momentum, dampening: c.dampening,
                              weightDecay: c.weightDecay, nesterov: c.nesterov)
            run(sgd, steps: 3, gradient: quadraticGradient)
            let expected = Reference.sgd(initialTheta, steps: 3, lr: 0.05, momentum: Double(c.momentum),
                                         dampening: Double(c.dampening), weightDecay: Double(c.weightDecay),
                                         nesterov: c.nesterov, gradient: quadraticGradient)
            expectClose(values(arena), floats(expected), "SGD \(c)")
        }
    }

    @Test func stepLeavesGradientsUnchanged() throws {
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1, momentum: 0.9, weightDecay: 0.5)
        for i in 0..<3 { arena.grads[i] = fixedGradients[0][i] }
        sgd.step()
        #expect(Array(arena.grads) == fixedGradients[0])
    }

    @Test func learningRateIsSettableBetweenSteps() throws {
        // γ = 0.1 then γ = 0.2: θ = 1 − 0.05 = 0.95 → 0.95 − 0.2·0.25 = 0.9
        let arena = makeArena([("w", initialTheta)])
        let sgd = try SGD(arena: arena, learningRate: 0.1)
        run(sgd, steps: 1, gradient: fixed)
        sgd.learningRate = 0.2
        run(sgd, steps: 1, from: 1, gradient: fixed)
        expectClose(arena.values[0], 0.9)
    }
}
