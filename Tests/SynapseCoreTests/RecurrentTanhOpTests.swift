import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct RecurrentTanhOpTests {
    @Test func twoStepsByHand() {
        // B = I = H = 1, h0 = 0.5, W_ih = 0.5, W_hh = −1, b_ih + b_hh = 0.25 + 0.2993061 = (ln 3)/2.
        //   step 1, x = 1: h1 = tanh(0.5 − 0.5 + (ln 3)/2) = (3 − 1)/(3 + 1) = 0.5
        //   step 2, x = 2: h2 = tanh(1 − 0.5 + 0.5493061) = tanh(1.0493061) = 0.7815364
        let out = rnnTanh(Tensor(shape: [1, 2, 1], values: [1, 2]), h0: Tensor(shape: [1, 1], values: [0.5]),
                          weightIH: Tensor(shape: [1, 1], values: [0.5]), weightHH: Tensor(shape: [1, 1], values: [-1]),
                          biasIH: Tensor(shape: [1], values: [0.25]), biasHH: Tensor(shape: [1], values: [0.299_306_14]))
        expectClose(out.output.scalars, [0.5, 0.781_536_44], rtol: 0, atol: 1e-6, "h1, h2")
        expectClose(out.hidden.scalars, [0.781_536_44], rtol: 0, atol: 1e-6, "h_T")
    }

    /// H = 3 runs only the vector tail path of the gate loops, H = 11 a full 8-lane block and a tail.
    @Test(arguments: [true, false], [3, 11])
    func fastOpEqualsReferenceCellUnrolled(biases: Bool, H: Int) {
        let B = 3, T = 5, I = 4
        let r = RecurrentInputs(B: B, T: T, I: I, H: H, gates: 1, seed: 300)
        let out = rnnTanh(r.x, h0: r.h0, weightIH: r.weightIH, weightHH: r.weightHH,
                          biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
        var h = r.h0
        for t in 0..<T {
            h = rnnTanhCellReference(x: r.step(t), h: h, weightIH: r.weightIH, weightHH: r.weightHH,
                                     biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
            expectClose(timeStep(out.output, t).scalars, h.scalars, rtol: 1e-5, atol: 2e-6, "h at step \(t)")
        }
        expectClose(out.hidden.scalars, h.scalars, rtol: 1e-5, atol: 2e-6, "h_T")
    }

    @Test func gradientsThroughOutputsAndFinalState() {
        let r = RecurrentInputs(B: 3, T: 5, I: 2, H: 3, gates: 1, seed: 310)
        expectGradientsMatch([r.x, r.h0, r.weightIH, r.weightHH, r.biasIH, r.biasHH], "rnnTanh") {
            let out = rnnTanh(r.x, h0: r.h0, weightIH: r.weightIH, weightHH: r.weightHH, biasIH: r.biasIH, biasHH: r.biasHH)
            return add(weightedSum(out.output, seed: 1), weightedSum(out.hidden, seed: 2))
        }
    }
}
