import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct GRUOpTests {
    @Test func oneStepByHand() {
        // B = I = H = 1, x = 1, h0 = 0.5. Rows of the weights are the gates r, z, n.
        //   r: 1·1 − 2·0.5 + 0 + 0                = 0      → σ = 0.5
        //   z: 0.5·1 + 1·0.5 + 0.0986123 + 0      = ln 3   → σ = 3/4 = 0.75
        //   n: 0.5·1 + 0 + r·(1·0.5 + b_hn = 0.5) = 0.5 + 0.5·1 = 1 → tanh(1) = 0.7615942
        //   h1 = (1 − z)·n + z·h0 = 0.25·0.7615942 + 0.75·0.5 = 0.5653985
        // (b_hn outside the reset product would give n = tanh(1.25) and h1 = 0.5870709.)
        let out = gru(Tensor(shape: [1, 1, 1], values: [1]), h0: Tensor(shape: [1, 1], values: [0.5]),
                      weightIH: Tensor(shape: [3, 1], values: [1, 0.5, 0.5]),
                      weightHH: Tensor(shape: [3, 1], values: [-2, 1, 1]),
                      biasIH: Tensor(shape: [3], values: [0, 0.098_612_29, 0]),
                      biasHH: Tensor(shape: [3], values: [0, 0, 0.5]))
        expectClose(out.hidden.scalars, [0.565_398_54], rtol: 0, atol: 1e-6, "h1")
        expectClose(out.output.scalars, [0.565_398_54], rtol: 0, atol: 1e-6, "output")
        #expect(out.cell == nil)
    }

    /// H = 3 runs only the vector tail path of the gate loops, H = 11 a full 8-lane block and a tail.
    @Test(arguments: [true, false], [3, 11])
    func fastOpEqualsReferenceCellUnrolled(biases: Bool, H: Int) {
        let B = 3, T = 5, I = 4
        let r = RecurrentInputs(B: B, T: T, I: I, H: H, gates: 3, seed: 200)
        let out = gru(r.x, h0: r.h0, weightIH: r.weightIH, weightHH: r.weightHH,
                      biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
        #expect(out.output.shape == [B, T, H] && out.hidden.shape == [B, H])
        var h = r.h0
        for t in 0..<T {
            h = gruCellReference(x: r.step(t), h: h, weightIH: r.weightIH, weightHH: r.weightHH,
                                 biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
            expectClose(timeStep(out.output, t).scalars, h.scalars, rtol: 1e-5, atol: 2e-6, "h at step \(t)")
        }
        expectClose(out.hidden.scalars, h.scalars, rtol: 1e-5, atol: 2e-6, "h_T")
    }

    @Test func gradientsThroughOutputsAndFinalState() {
        let r = RecurrentInputs(B: 2, T: 4, I: 3, H: 2, gates: 3, seed: 210)
        let inputs = [r.x, r.h0, r.weightIH, r.weightHH, r.biasIH, r.biasHH]
        expectGradientsMatch(inputs, "gru (output + h_T)") {
            let out = gru(r.x, h0: r.h0, weightIH: r.weightIH, weightHH: r.weightHH, biasIH: r.biasIH, biasHH: r.biasHH)
            return add(weightedSum(out.output, seed: 1), weightedSum(out.hidden, seed: 2))
        }
        expectGradientsMatch(inputs, "gru (h_T only)") {
            weightedSum(gru(r.x, h0: r.h0, weightIH: r.weightIH, weightHH: r.weightHH,
                            biasIH: r.biasIH, biasHH: r.biasHH).hidden, seed: 3)
        }
    }
}
