import Testing
import SynapseCore
import SynapseOptim
import SynapseTestSupport

/// Exact values after 3 steps. Element 0 starts at θ = 1 and sees gradients 0.5, 0.25, −1.
@Suite struct RMSpropTests {
    @Test func plainStepsByHand() throws {
        // γ = 0.01, α = 0.99, ε = 1e-8 (added outside the square root):
        // t=1: v = 0.01·0.25 = 0.0025;              √v = 0.05;      θ = 1 − 0.01·0.5/0.05 = 0.9
        // t=2: v = 0.99·0.0025 + 0.01·0.0625 = 0.0031;  √v = 0.0556777; θ = 0.9 − 0.0025/0.0556777 = 0.8550987
        // t=3: v = 0.99·0.0031 + 0.01·1 = 0.013069;  √v = 0.1143197;  θ = 0.8550987 + 0.01/0.1143197 = 0.9425727
        let arena = makeArena([("w", initialTheta)])
        let rms = try RMSprop(arena: arena, learningRate: 0.01)
        run(rms, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.9425727)
        expectClose(rms.stateBuffers[0].values[0], 0.013069)
        #expect(rms.stateBuffers.map(\.name) == ["square_avg"])
    }

    @Test func centeredWithMomentumAndWeightDecayByHand() throws {
        // γ = 0.01, α = 0.99, μ = 0.9, λ = 0.1, centered. Worked in Double from the doc formula:
        // t=1: g = 0.5 + 0.1 = 0.6;  v = 0.0036;  ḡ = 0.006;  ṽ = 0.0036 − 0.000036 = 0.003564
        //      √ṽ + ε = 0.0596993;  b = 0.6/0.0596993 = 10.050376;  θ = 1 − 0.1005038 = 0.8994962
        // t=2: g = 0.25 + 0.0899496 = 0.3399496;  v = 0.0047197;  ḡ = 0.0093395;  ṽ = 0.0046324
        //      √ṽ + ε = 0.0680620;  b = 9.045339 + 4.994707 = 14.040046;  θ = 0.8994962 − 0.1404005 = 0.7590958
        // t=3: g = −1 + 0.0759096 = −0.9240904;  v = 0.0132119;  ḡ = 0.0000052;  ṽ = 0.0132119
        //      √ṽ + ε = 0.1149430;  b = 12.636041 − 8.039553 = 4.596488;  θ = 0.7590958 − 0.0459649 = 0.7131309
        let arena = makeArena([("w", initialTheta)])
        let rms = try RMSprop(arena: arena, learningRate: 0.01, weightDecay: 0.1, momentum: 0.9, centered: true)
        run(rms, steps: 3, gradient: fixed)
        expectClose(arena.values[0], 0.7131309, rtol: 2e-5)
        #expect(rms.stateBuffers.map(\.name) == ["square_avg", "momentum_buffer", "grad_avg"])
        expectClose(rms.stateBuffers[1].values[0], 4.596488, rtol: 1e-4)
    }

    @Test func matchesReferenceOnAQuadratic() throws {
        let configs: [(alpha: Float, eps: Float, wd: Float, momentum: Float, centered: Bool)] = [
            (0.99, 1e-8, 0, 0, false), (0.9, 1e-8, 0, 0, true), (0.9, 1e-3, 0.1, 0.5, false), (0.95, 1e-6, 0.05, 0.9, true),
        ]
        for c in configs {
            let arena = makeArena([("w", initialTheta)])
            let rms = try RMSprop(arena: arena, learningRate: 0.01, alpha: c.alpha, epsilon: c.eps,
                                  weightDecay: c.wd, momentum: c.momentum, centered: c.centered)
            run(rms, steps: 3, gradient: quadraticGradient)
            let expected = Reference.rmsprop(initialTheta, steps: 3, lr: 0.01, alpha: Double(c.alpha), eps: Double(c.eps),
                                             weightDecay: Double(c.wd), momentum: Double(c.momentum),
                                             centered: c.centered, gradient: quadraticGradient)
            expectClose(values(arena), floats(expected), rtol: 2e-5, "RMSprop \(c)")
        }
    }
}
