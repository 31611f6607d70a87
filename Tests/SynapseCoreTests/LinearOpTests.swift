import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct LinearOpTests {
    @Test func handComputedForward() {
        // x = [[1, 2]], W = [[1, 0], [0.5, -1], [2, 3]], b = [0.1, 0.2, 0.3]
        // y = [1+0+0.1, 0.5-2+0.2, 2+6+0.3] = [1.1, -1.3, 8.3]
        let x = Tensor(shape: [1, 2], values: [1, 2])
        let w = Tensor(shape: [3, 2], values: [1, 0, 0.5, -1, 2, 3])
        let b = Tensor(shape: [3], values: [0.1, 0.2, 0.3])
        expectClose(linear(x, weight: w, bias: b).scalars, [1.1, -1.3, 8.3])
    }

    @Test func handComputedLinearGradients() {
        // L = sum(linear(x, W, b)) with x = [[1, 2], [3, 4]], W [3, 2]:
        // dL/dW[o, :] = Σₙ x[n, :] = [4, 6] for every output o; dL/db = N = 2 each;
        // dL/dx[n, :] = Σₒ W[o, :] = [1 + 0.5 + 2, 0 - 1 + 3] = [3.5, 2] for every row n.
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let w = Tensor(shape: [3, 2], values: [1, 0, 0.5, -1, 2, 3], requiresGrad: true)
        let b = Tensor(shape: [3], values: [0.1, 0.2, 0.3], requiresGrad: true)
        sum(linear(x, weight: w, bias: b)).backward()
        expectClose(w.grad!.scalars, [4, 6, 4, 6, 4, 6])
        expectClose(b.grad!.scalars, [2, 2, 2])
        expectClose(x.grad!.scalars, [3.5, 2, 3.5, 2])
    }

    /// With a `WeightGradientFactors` sink the weight's gradient is handed over as (x, dy),
    /// twice for a layer used twice; the input and bias gradients are computed as without it.
    @Test func factorsSinkReceivesInputAndOutputGradient() {
        final class Sink: WeightGradientFactors {
            var received: [(x: [Float], dy: [Float])] = []
            func append(input x: Tensor, outputGradient dy: Tensor) { received.append((x.scalars, dy.scalars)) }
        }
        let sink = Sink()
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let w = Tensor(shape: [3, 2], values: [1, 0, 0.5, -1, 2, 3], requiresGrad: true)
        let b = Tensor(shape: [3], values: [0.1, 0.2, 0.3], requiresGrad: true)
        // L = sum(y) + 2·sum(y'), y' the same layer on x·1: dy = 1 for the first use, 2 for the second.
        let y = linear(x, weight: w, bias: b, factors: sink)
        let y2 = linear(x, weight: w, bias: b, factors: sink)
        add(sum(y), scale(sum(y2), by: 2)).backward()
        #expect(w.grad == nil || w.grad!.scalars.allSatisfy { $0 == 0 }, "the weight gradient was left to the sink")
        #expect(sink.received.count == 2)
        #expect(Set(sink.received.map(\.dy)) == [[1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2]])
        #expect(sink.received.allSatisfy { $0.x == [1, 2, 3, 4] })
        expectClose(b.grad!.scalars, [6, 6, 6])               // N·(1 + 2)
        expectClose(x.grad!.scalars, [10.5, 6, 10.5, 6])       // 3 · [3.5, 2]
        // A frozen weight hands nothing over.
        let frozen = Tensor(shape: [3, 2], values: [1, 0, 0.5, -1, 2, 3])
        sum(linear(x, weight: frozen, bias: nil, factors: sink)).backward()
        #expect(sink.received.count == 2)
    }

    @Test func linearWithoutBias() {
        // Same x and W as above, no bias: y = [[1, -1.5, 8], ...] for the first row.
        let x = Tensor(shape: [1, 2], values: [1, 2])
        let w = Tensor(shape: [3, 2], values: [1, 0, 0.5, -1, 2, 3])
        expectClose(linear(x, weight: w, bias: nil).scalars, [1, -1.5, 8])
    }

    @Test func handComputedMatmul() {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[1·5 + 2·7, 1·6 + 2·8], [3·5 + 4·7, 3·6 + 4·8]]
        //                                     = [[19, 22], [43, 50]]
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        let b = Tensor(shape: [2, 2], values: [5, 6, 7, 8], requiresGrad: true)
        let c = matmul(a, b)
        expectClose(c.scalars, [19, 22, 43, 50])
        // L = sum(c): dL/da = 1·bᵀ → rows [5 + 6, 7 + 8] = [11, 15]; dL/db = aᵀ·1 → [[4, 4], [6, 6]].
        sum(c).backward()
        expectClose(a.grad!.scalars, [11, 15, 11, 15])
        expectClose(b.grad!.scalars, [4, 4, 6, 6])
    }

    @Test func gemmMatchesNaiveOracle() {
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let m = 5, n = 7, k = 3
            let a = randomTensor([transA ? k : m, transA ? m : k], seed: 1)
            let b = randomTensor([transB ? n : k, transB ? k : n], seed: 2)
            let c1 = randomTensor([m, n], seed: 3), c2 = c1.copy()
            let lda = a.shape[1], ldb = b.shape[1]
            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                      a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: 2, c: c1.pointer, ldc: n)
            BLAS.naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                           a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: 2, c: c2.pointer, ldc: n)
            expectClose(c1.scalars, c2.scalars, "gemm transA=\(transA) transB=\(transB)")
        }
    }

    @Test func linearGradients() {
        let x = randomTensor([4, 3], seed: 10), w = randomTensor([5, 3], seed: 11), b = randomTensor([5], seed: 12)
        expectGradientsMatch([x, w, b], "linear") { sum(multiply(linear(x, weight: w, bias: b), linear(x, weight: w, bias: b))) }
    }

    @Test func matmulGradients() {
        let a = randomTensor([3, 4], seed: 20), b = randomTensor([4, 2], seed: 21)
        expectGradientsMatch([a, b], "matmul") { sum(multiply(matmul(a, b), matmul(a, b))) }
    }
}
