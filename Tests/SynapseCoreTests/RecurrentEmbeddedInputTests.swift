import Testing
import SynapseCore
import SynapseTestSupport

/// A recurrent op fed straight by `embedding(ids:weight:)` multiplies the table by W_ih and
/// looks the products up (`inputProjection`), and sends its input gradient to the table; it
/// must compute what the same op computes on an ordinary tensor holding the same rows.
@Suite struct RecurrentEmbeddedInputTests {
    enum Cell: CaseIterable { case lstm, gru, rnn }

    func run(_ cell: Cell, _ x: Tensor, _ w: [Tensor]) -> Tensor {
        switch cell {
        case .lstm: lstm(x, weightIH: w[0], weightHH: w[1], biasIH: w[2], biasHH: w[3]).output
        case .gru: gru(x, weightIH: w[0], weightHH: w[1], biasIH: w[2], biasHH: w[3]).output
        case .rnn: rnnTanh(x, weightIH: w[0], weightHH: w[1], biasIH: w[2], biasHH: w[3]).output
        }
    }

    /// H = 21: a full 16-lane block of the step kernels and a tail; token 4 repeats, token 2
    /// of the table is never looked up (its gradient stays 0).
    @Test(arguments: Cell.allCases)
    func embeddedInputEqualsTheSameRows(cell: Cell) {
        let B = 2, T = 3, I = 5, H = 21, V = 6
        let gates = cell == .lstm ? 4 : (cell == .gru ? 3 : 1)
        let ids = Tensor(shape: [B, T], values: [4, 0, 4, 1, 5, 3])
        func parameters() -> (table: Tensor, weights: [Tensor]) {
            let table = randomTensor([V, I], seed: 1)
            let weights = [randomTensor([gates * H, I], seed: 2, low: -0.7, high: 0.7),
                           randomTensor([gates * H, H], seed: 3, low: -0.7, high: 0.7),
                           randomTensor([gates * H], seed: 4, low: -0.5, high: 0.5),
                           randomTensor([gates * H], seed: 5, low: -0.5, high: 0.5)]
            for t in [table] + weights { t.requiresGrad = true }
            return (table, weights)
        }
        // Fused: the op sees the embedding's output.
        let fused = parameters()
        let yFused = run(cell, embedding(ids: ids, weight: fused.table), fused.weights)
        weightedSum(yFused, seed: 9).backward()
        // Plain: the same rows in a tensor that is not marked as looked up, and the embedding's
        // gradient by its own rule.
        let plain = parameters()
        let looked = embedding(ids: ids, weight: plain.table)
        let copy = multiply(looked, Tensor(shape: looked.shape, repeating: 1))   // new tensor, no gatheredRows, on the tape
        let yPlain = run(cell, copy, plain.weights)
        weightedSum(yPlain, seed: 9).backward()

        expectClose(yFused.scalars, yPlain.scalars, rtol: 1e-5, atol: 1e-6, "output")
        expectClose(fused.table.grad!.scalars, plain.table.grad!.scalars, rtol: 1e-4, atol: 1e-6, "table gradient")
        #expect(fused.table.grad!.scalars[2 * I..<3 * I].allSatisfy { $0 == 0 }, "token 2 is never looked up")
        for k in 0..<4 {
            expectClose(fused.weights[k].grad!.scalars, plain.weights[k].grad!.scalars, rtol: 1e-4, atol: 1e-6, "weight \(k)")
        }
    }
}
