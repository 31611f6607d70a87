import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct LSTMOpTests {
    @Test func oneStepByHand() {
        // B = I = H = 1, x = 1, h0 = 0.5, c0 = 1. Rows of the weights are the gates i, f, g, o.
        //   i: 2·1 − 4·0.5 + 0.25 − 0.25         = 0          → σ = 0.5
        //   f: 0.5·1 + 1·0.5 + 0.0986123 + 0      = ln 3       → σ = 3/4 = 0.75
        //   g: 0.5·1 − 1·0.5 + 0.5493061 + 0      = (ln 3)/2   → tanh = (3 − 1)/(3 + 1) = 0.5
        //   o: −1·1 + 2·0.5 + 0 + 0               = 0          → σ = 0.5
        //   c1 = f·c0 + i·g = 0.75·1 + 0.5·0.5 = 1
        //   h1 = o·tanh(c1) = 0.5·tanh(1) = 0.5·0.7615942 = 0.3807971
        let out = lstm(Tensor(shape: [1, 1, 1], values: [1]),
                       h0: Tensor(shape: [1, 1], values: [0.5]), c0: Tensor(shape: [1, 1], values: [1]),
                       weightIH: Tensor(shape: [4, 1], values: [2, 0.5, 0.5, -1]),
                       weightHH: Tensor(shape: [4, 1], values: [-4, 1, -1, 2]),
                       biasIH: Tensor(shape: [4], values: [0.25, 0.098_612_29, 0.549_306_14, 0]),
                       biasHH: Tensor(shape: [4], values: [-0.25, 0, 0, 0]))
        expectClose(out.cell!.scalars, [1], rtol: 0, atol: 1e-6, "c1")
        expectClose(out.hidden.scalars, [0.380_797_08], rtol: 0, atol: 1e-6, "h1")
        expectClose(out.output.scalars, [0.380_797_08], rtol: 0, atol: 1e-6, "output")
    }

    /// `lstmCellReference` applied T times, step by step.
    func unrolledReference(_ r: RecurrentInputs, T: Int, biases: Bool) -> (outputs: [[Float]], h: Tensor, c: Tensor) {
        var h = r.h0, c = r.c0, outputs: [[Float]] = []
        for t in 0..<T {
            (h, c) = lstmCellReference(x: r.step(t), h: h, c: c, weightIH: r.weightIH, weightHH: r.weightHH,
                                       biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
            outputs.append(h.scalars)
        }
        return (outputs, h, c)
    }

    /// H = 3 runs only the vector tail path of the gate loops, H = 11 a full 8-lane block and a tail.
    @Test(arguments: [true, false], [3, 11])
    func fastOpEqualsReferenceCellUnrolled(biases: Bool, H: Int) {
        let B = 3, T = 5, I = 4
        let r = RecurrentInputs(B: B, T: T, I: I, H: H, gates: 4, seed: 100)
        let out = lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                       biasIH: biases ? r.biasIH : nil, biasHH: biases ? r.biasHH : nil)
        let ref = unrolledReference(r, T: T, biases: biases)
        #expect(out.output.shape == [B, T, H] && out.hidden.shape == [B, H] && out.cell?.shape == [B, H])
        for t in 0..<T {
            expectClose(timeStep(out.output, t).scalars, ref.outputs[t], rtol: 1e-5, atol: 2e-6, "h at step \(t)")
        }
        expectClose(out.hidden.scalars, ref.h.scalars, rtol: 1e-5, atol: 2e-6, "h_T")
        expectClose(out.cell!.scalars, ref.c.scalars, rtol: 1e-5, atol: 2e-6, "c_T")
    }

    @Test func missingInitialStateMeansZeros() {
        let r = RecurrentInputs(B: 2, T: 3, I: 2, H: 2, gates: 4, seed: 110)
        let zeros = Tensor.zeros([2, 2])
        let implicit = lstm(r.x, weightIH: r.weightIH, weightHH: r.weightHH, biasIH: r.biasIH, biasHH: r.biasHH)
        let explicit = lstm(r.x, h0: zeros, c0: zeros, weightIH: r.weightIH, weightHH: r.weightHH,
                            biasIH: r.biasIH, biasHH: r.biasHH)
        #expect(implicit.output.scalars == explicit.output.scalars)
        #expect(implicit.cell!.scalars == explicit.cell!.scalars)
    }

    @Test func gradientsThroughOutputsAndFinalStates() {
        let r = RecurrentInputs(B: 2, T: 4, I: 3, H: 2, gates: 4, seed: 120)
        expectGradientsMatch(r.all, "lstm (output + h_T + c_T)") {
            let out = lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                           biasIH: r.biasIH, biasHH: r.biasHH)
            return add(add(weightedSum(out.output, seed: 1), weightedSum(out.hidden, seed: 2)),
                       weightedSum(out.cell!, seed: 3))
        }
    }

    @Test func gradientsThroughFinalStatesAlone() {
        // No loss on the output: the gradient enters only at h_T and c_T.
        let r = RecurrentInputs(B: 3, T: 5, I: 2, H: 3, gates: 4, seed: 130)
        expectGradientsMatch(r.all, "lstm (h_T + c_T only)") {
            let out = lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                           biasIH: r.biasIH, biasHH: r.biasHH)
            return add(weightedSum(out.hidden, seed: 4), weightedSum(out.cell!, seed: 5))
        }
        expectGradientsMatch(r.all, "lstm (c_T only)") {
            weightedSum(lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                             biasIH: r.biasIH, biasHH: r.biasHH).cell!, seed: 6)
        }
    }

    @Test func gradientsWithoutBiases() {
        let r = RecurrentInputs(B: 2, T: 4, I: 3, H: 2, gates: 4, seed: 140)
        expectGradientsMatch([r.x, r.h0, r.c0, r.weightIH, r.weightHH], "lstm without biases") {
            weightedSum(lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                             biasIH: nil, biasHH: nil).output, seed: 7)
        }
    }

    @Test func steadyStateTakesEveryBufferFromThePool() {
        // Sizes no other test uses. allocationCount is process-wide and other tests run
        // concurrently: one clean step out of many proves that the forward and BPTT buffers
        // (full-sequence buffers, allocated once per call, none per step) all come from the pool.
        let r = RecurrentInputs(B: 5, T: 7, I: 6, H: 9, gates: 4, seed: 150)
        func step() {
            for t in r.all { t.requiresGrad = true; t.grad = nil }
            let out = lstm(r.x, h0: r.h0, c0: r.c0, weightIH: r.weightIH, weightHH: r.weightHH,
                           biasIH: r.biasIH, biasHH: r.biasHH)
            add(sum(out.output), sum(out.cell!)).backward()
        }
        step()
        var clean = false
        for _ in 0..<200 where !clean {
            let before = BufferPool.shared.allocationCount
            step()
            clean = BufferPool.shared.allocationCount == before
        }
        #expect(clean, "every LSTM forward + backward after warm-up made new allocations")
    }
}
