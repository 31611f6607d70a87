import CBLAS

/// Matrix multiply through OpenBLAS, row-major:
/// `C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C`, where `op(X)` is `X` or `Xᵀ`.
///
/// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored. `beta = 1` accumulates into C,
/// which backward rules use to add gradient contributions without a temporary.
public enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` (see type docs).
    @inlinable
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C = A · B + beta · C` (no transposes) for a product with few rows and a large B that
    /// is used again and again: the per-step products of a recurrent layer
    /// (h_{t-1} [B, H] · W_hhᵀ [H, 4H], and dGates [B, 4H] · W_hh [4H, H]).
    ///
    /// Every `gemm` call first copies both operands into OpenBLAS's packed layout. At 32 rows,
    /// packing a 1 MB weight matrix takes about as long as the multiply itself. OpenBLAS's
    /// AVX-512 kernels ("SkylakeX" and its successors) have a small-matrix path that reads the
    /// operands in place when M·N·K ≤ 100³, so with those kernels the product runs as blocks of
    /// up to 64 columns × 256 of K (and ≤ 61 rows) that take it: at B 32, H 256 the forward
    /// product ran at 140 GFLOP/s and the backward one at 165, against 80 and 95 in one call
    /// (C, one thread, 2026-12-01). Other kernel sets pack small products as well; blocks only
    /// cost them calls, so there the product is one `gemm`.
    /// - Shape: a [m, k] (row stride lda), b [k, n] (ldb), c [m, n] (ldc).
    public static func gemmInUnpackedBlocks(m: Int, n: Int, k: Int,
                                            a: UnsafePointer<Float>, lda: Int,
                                            b: UnsafePointer<Float>, ldb: Int,
                                            beta: Float = 0,
                                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        if hasUnpackedSmallProducts {
            gemmInBlocks(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else {
            gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// The blocks of `gemmInUnpackedBlocks`, whatever the kernel set (tests call it directly).
    static func gemmInBlocks(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {   // no K blocks: C = beta · C, as one call does it
            return gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        let nb = 64, kb = 256
        let rowBlocks = (m + 60) / 61                   // 61 · 64 · 256 ≤ 100³
        let mb = (m + rowBlocks - 1) / rowBlocks        // rows split evenly: 64 → 32 + 32
        for p in stride(from: 0, to: k, by: kb) {       // K blocks after the first accumulate
            for i in stride(from: 0, to: m, by: mb) {
                for j in stride(from: 0, to: n, by: nb) {
                    gemm(transA: false, transB: false, m: min(mb, m - i), n: min(nb, n - j), k: min(kb, k - p),
                         a: a + i * lda + p, lda: lda, b: b + p * ldb + j, ldb: ldb,
                         beta: p == 0 ? beta : 1, c: c + i * ldc + j, ldc: ldc)
                }
            }
        }
    }

    /// Whether this process's OpenBLAS kernels multiply small products (M·N·K ≤ 100³) in place,
    /// without packing (see `gemmInUnpackedBlocks`): true for the AVX-512 kernel sets of
    /// OpenBLAS ≥ 0.3.17.
    public static let hasUnpackedSmallProducts: Bool =
        ["skylakex", "cooperlake", "sapphirerapids"].contains(BLASKernelSelection.coreName.lowercased())

    /// `bT = aᵀ`: an out-of-place transpose (OpenBLAS's `somatcopy`; ten times faster than a
    /// tiled Swift loop on a [1024, 256] matrix, 0.1 against 1.0 ms).
    /// - Shape: a [rows, cols] (row stride lda) → bT [cols, rows] (row stride ldb).
    public static func transpose(rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int,
                                 into bT: UnsafeMutablePointer<Float>, ldb: Int) {
        if rows == 0 || cols == 0 { return }
        cblas_somatcopy(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, a, Int32(lda), bT, Int32(ldb))
    }

    /// `y += Aᵀ · x`, a matrix-vector product with the transposed matrix.
    /// - Shape: a [m, n] (row stride lda), x [m] → y [n].
    public static func addTransposedProduct(m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                                            x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        if m == 0 || n == 0 { return }
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, 1, y, 1)
    }

    /// The naive triple loop computing the same thing as `gemm`: the test oracle, and the
    /// definition to read when the BLAS call is opaque.
    public static func naiveGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                 alpha: Float = 1,
                                 a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float = 0,
                                 c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let aip = transA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += aip * bpj
                }
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }

    /// Number of threads OpenBLAS uses in this process. One per rank is best when the
    /// ranks fill the cores (measured: 2 ranks × 2 threads is 5–15 % slower than × 1).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
