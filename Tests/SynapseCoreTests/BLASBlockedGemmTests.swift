import Testing
@testable import SynapseCore
import SynapseTestSupport

/// `BLAS.gemmInUnpackedBlocks`: cut into blocks (forced here, whatever kernels this test
/// process got) it computes what the naive triple loop computes, for sizes that do not divide
/// into whole blocks, with row strides wider than the rows, and with beta 0 and 1.
@Suite struct BLASBlockedGemmTests {
    func check(m: Int, n: Int, k: Int, beta: Float, sourceLocation: SourceLocation = #_sourceLocation) {
        let (lda, ldb, ldc) = (k + 3, n + 5, n + 2)   // strided operands, as the recurrent steps pass them
        let a = randomTensor([m, lda], seed: 1), b = randomTensor([k, ldb], seed: 2)
        let c0 = randomTensor([m, ldc], seed: 3)
        let blocked = Tensor(shape: [m, ldc], values: c0.scalars), naive = Tensor(shape: [m, ldc], values: c0.scalars)
        BLAS.gemmInBlocks(m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                          beta: beta, c: blocked.pointer, ldc: ldc)
        BLAS.naiveGemm(transA: false, transB: false, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                       beta: beta, c: naive.pointer, ldc: ldc)
        // Padding columns (n..<ldc) are left as they were; the rest agree up to float rounding.
        expectClose(blocked.scalars, naive.scalars, rtol: 1e-4, atol: 1e-4, sourceLocation: sourceLocation)
    }

    @Test func blocksAgreeWithTheNaiveProduct() {
        check(m: 32, n: 1024, k: 256, beta: 1)    // an LSTM forward step: one row block, 16 column blocks
        check(m: 32, n: 256, k: 1024, beta: 0)    // its backward step: 4 K blocks, the first with beta 0
        check(m: 70, n: 130, k: 300, beta: 1)     // two row blocks of 35, ragged column and K blocks
        check(m: 1, n: 3, k: 600, beta: 0)
    }

    @Test func anEmptyKScalesC() {
        check(m: 5, n: 7, k: 0, beta: 0)
        check(m: 5, n: 7, k: 0, beta: 1)
    }
}
