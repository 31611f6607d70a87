#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// Causal multi-head self-attention over a fused query/key/value projection, the core of a
/// GPT block (Vaswani et al., "Attention Is All You Need", arXiv:1706.03762, section 3.2;
/// PyTorch's `F.scaled_dot_product_attention(q, k, v, is_causal=True)`).
///
/// Each row of `qkv` holds one position's query, key and value side by side (PyTorch's
/// `qkv.split(C, dim=2)`), and head h owns columns h·D..<(h+1)·D of each (`view(B, T, H, D)
/// .transpose(1, 2)`). For each sequence b and head h, with Q, K, V the [T, D] slices:
///
///     S = Q Kᵀ / √D,   P = softmax(S) row by row over s ≤ t only,   Y = P V
///
/// and the heads' Y are interleaved back into y's columns h·D..<(h+1)·D
/// (`y.transpose(1, 2).contiguous().view(B, T, C)`). Position t sees positions 0...t.
///
/// Why one fused op rather than a composition of primitives: composed, this is a split, three
/// transposed copies, a batched matmul, a mask, a softmax, another matmul and a transposed copy
/// back, each a tape record and a [B, H, T, T] or [B, T, C] buffer. Fused, the GEMMs read q, k
/// and v in place (row stride 3C), write y in place (row stride C), and compute only the
/// blocks of rows × keys on or below the diagonal: masked entries are skipped, never filled
/// with -∞ and pushed through exp. Only P [B, H, T, T] is saved for backward. The row
/// softmax and its backward are C kernels (CKernels, sixteen lanes with AVX-512).
///
/// `causalSelfAttentionReference` is the same computation in plain loops (the test oracle);
/// `causalSelfAttention(_:heads:cache:)` runs it incrementally for generation.
/// - Shape: qkv [B, T, 3C] → y [B, T, C], with C a multiple of `heads` and D = C / heads.
public func causalSelfAttention(_ qkv: Tensor, heads: Int) -> Tensor {
    let (B, T, C, D) = attentionDimensions("causalSelfAttention", qkv, heads: heads)
    let H = heads, scale = 1 / Float(D).squareRoot()
    let y = Tensor(uninitializedShape: [B, T, C])
    let p = Tensor(uninitializedShape: [B, H, T, T])   // attention weights, zero above the diagonal
    for b in 0..<B {
        for h in 0..<H {
            let q = UnsafePointer(qkv.pointer + b * T * 3 * C + h * D)   // Q; K at + C, V at + 2C
            attendCausally(q: q, ldq: 3 * C, k: q + C, v: q + 2 * C, ldkv: 3 * C, first: 0, n: T, D: D, scale: scale,
                           p: p.pointer + (b * H + h) * T * T, ldp: T, y: y.pointer + b * T * C + h * D, ldy: C)
        }
    }
    if isRecording(qkv) {
        y.record(inputs: [qkv]) { _, dy in
            causalSelfAttentionBackward(dy: dy, qkv: qkv, p: p, heads: H)
        }
    }
    return y
}

/// Backward of `causalSelfAttention`, per sequence b and head h, through the saved P:
///
///     dV = Pᵀ dY,   dP = dY Vᵀ,   dS = P ⊙ (dP − rowsum(dP ⊙ P)),
///     dQ = dS K / √D,   dK = dSᵀ Q / √D
///
/// (the third line is softmax's backward; dS is zero where P is, above the diagonal). The
/// results land in place in d(qkv)'s Q, K and V columns, stored when the gradient is fresh
/// (beta 0: every element is written) and added otherwise (beta 1).
/// - Shape: dy [B, T, C], qkv [B, T, 3C], p [B, H, T, T].
private func causalSelfAttentionBackward(dy: Tensor, qkv: Tensor, p: Tensor, heads H: Int) {
    let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3, D = C / H
    let scale = 1 / Float(D).squareRoot(), ld = 3 * C
    let dS = Tensor(uninitializedShape: [T, T])   // one head's dP, then dS (scratch)
    let ds = dS.pointer
    qkv.storeOrAccumulateGrad { dqkv, fresh in
        let beta: Float = fresh ? 0 : 1
        for b in 0..<B {
            for h in 0..<H {
                let q = UnsafePointer(qkv.pointer + b * T * ld + h * D), k = q + C, v = q + 2 * C
                let dq = dqkv.baseAddress! + b * T * ld + h * D, dk = dq + C, dv = dq + 2 * C
                let pbh = UnsafePointer(p.pointer + (b * H + h) * T * T)
                let g = UnsafePointer(dy.pointer + b * T * C + h * D)   // dY [T, D], row stride C
                for i0 in stride(from: 0, to: T, by: attentionRowBlock) {
                    let i1 = min(i0 + attentionRowBlock, T), rows = i1 - i0
                    // dP rows i0..<i1, keys 0..<i1 = dY Vᵀ
                    BLAS.gemm(transA: false, transB: true, m: rows, n: i1, k: D, a: g + i0 * C, lda: C,
                              b: v, ldb: ld, c: ds + i0 * T, ldc: T)
                    // dS = P ⊙ (dP − rowsum(dP ⊙ P)) on and below the diagonal, 0 above it up to i1
                    synapse_softmax_backward_rows(ds + i0 * T, pbh + i0 * T, T, rows, i0 + 1, i1)
                    // dQ rows i0..<i1 = dS K / √D
                    BLAS.gemm(transA: false, transB: false, m: rows, n: D, k: i1, alpha: scale,
                              a: ds + i0 * T, lda: T, b: k, ldb: ld, beta: beta, c: dq + i0 * ld, ldc: ld)
                }
                // Key/value rows s0..<s1 receive from queries t ≥ s0 only (dS and P vanish above
                // the diagonal), so each block's transposed product starts at row s0.
                for s0 in stride(from: 0, to: T, by: attentionRowBlock) {
                    let s1 = min(s0 + attentionRowBlock, T), later = T - s0
                    BLAS.gemm(transA: true, transB: false, m: s1 - s0, n: D, k: later, alpha: scale,
                              a: ds + s0 * T + s0, lda: T, b: q + s0 * ld, ldb: ld, beta: beta, c: dk + s0 * ld, ldc: ld)
                    BLAS.gemm(transA: true, transB: false, m: s1 - s0, n: D, k: later,
                              a: pbh + s0 * T + s0, lda: T, b: g + s0 * C, ldb: C, beta: beta, c: dv + s0 * ld, ldc: ld)
                }
            }
        }
    }
}

/// The definition of `causalSelfAttention` in plain loops over b, h, t, s, in Double: the
/// test oracle and the text to read. Not on the tape (forward only): the fused op's gradient
/// is checked against central differences and numpy instead.
/// - Shape: qkv [B, T, 3C] → y [B, T, C].
public func causalSelfAttentionReference(_ qkv: Tensor, heads: Int) -> Tensor {
    let (B, T, C, D) = attentionDimensions("causalSelfAttentionReference", qkv, heads: heads)
    let x = qkv.data, y = Tensor(uninitializedShape: [B, T, C])
    func q(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Double { Double(x[(b * T + t) * 3 * C + h * D + d]) }
    func k(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Double { Double(x[(b * T + t) * 3 * C + C + h * D + d]) }
    func v(_ b: Int, _ t: Int, _ h: Int, _ d: Int) -> Double { Double(x[(b * T + t) * 3 * C + 2 * C + h * D + d]) }
    for b in 0..<B {
        for h in 0..<heads {
            for t in 0..<T {
                var scores = [Double](repeating: 0, count: t + 1)   // positions 0...t only
                for s in 0...t {
                    var dot = 0.0
                    for d in 0..<D { dot += q(b, t, h, d) * k(b, s, h, d) }
                    scores[s] = dot / Double(D).squareRoot()
                }
                let top = scores.max()!
                let weights = scores.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for d in 0..<D {
                    var acc = 0.0
                    for s in 0...t { acc += weights[s] / total * v(b, s, h, d) }
                    y.data[(b * T + t) * C + h * D + d] = Float(acc)
                }
            }
        }
    }
    return y
}

/// Rows of queries per block in the attention kernels. A block of rows i0..<i1 needs keys
/// 0..<i1 only, so blocks skip most of the masked upper triangle (at T 64: 75 % of the full
/// products with blocks of 32) while keeping each GEMM large enough to run at speed. At the
/// GPT peer's shapes (B 12, T 64, C 128, 4 heads) blocks of 16, 32 and 64 timed within 5 %
/// of each other (0.42 / 0.42 / 0.45 ms forward, 0.92 / 0.91 / 0.93 ms forward + backward,
/// OpenBLAS SkylakeX kernels, one thread, 2026-12-01); 32 keeps the transposed products of
/// backward (K ≥ 32 rows, ≤ 32 × 32 outputs) on OpenBLAS's small-matrix path.
let attentionRowBlock = 32

/// One head of one sequence, forward: queries at absolute positions first..<first+n attend to
/// keys and values at positions 0..<first+n, each query to those at or before its own.
/// Writes the attention weights into `p` (zero past each query's position, up to first+n)
/// and the output into `y`. Shared by the training op (first 0) and the cached one.
/// - Shape: q [n, D] (row stride ldq), k and v [first+n, D] (ldkv), p [n, first+n] (ldp),
///   y [n, D] (ldy).
func attendCausally(q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ldkv: Int,
                    first: Int, n: Int, D: Int, scale: Float,
                    p: UnsafeMutablePointer<Float>, ldp: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
    for i0 in stride(from: 0, to: n, by: attentionRowBlock) {
        let i1 = min(i0 + attentionRowBlock, n), keys = first + i1
        // S rows i0..<i1, keys 0..<keys = Q Kᵀ / √D
        BLAS.gemm(transA: false, transB: true, m: i1 - i0, n: keys, k: D, alpha: scale,
                  a: q + i0 * ldq, lda: ldq, b: k, ldb: ldkv, c: p + i0 * ldp, ldc: ldp)
        // Row i: softmax over keys 0...first+i, zeros after them (up to first+n).
        synapse_causal_softmax_rows(p + i0 * ldp, ldp, i1 - i0, first + i0 + 1, first + n)
        // Y rows i0..<i1 = P V
        BLAS.gemm(transA: false, transB: false, m: i1 - i0, n: D, k: keys,
                  a: p + i0 * ldp, lda: ldp, b: v, ldb: ldkv, c: y + i0 * ldy, ldc: ldy)
    }
}

/// B, T, C and the head size D of a [B, T, 3C] projection, checked.
func attentionDimensions(_ op: String, _ qkv: Tensor, heads: Int) -> (B: Int, T: Int, C: Int, D: Int) {
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0 && qkv.shape[2] > 0,
                 "\(op): qkv must be [B, T, 3C] (queries, keys, values side by side), got \(qkv.shape)")
    let C = qkv.shape[2] / 3
    precondition(heads > 0 && C % heads == 0,
                 "\(op): width C = \(C) (qkv \(qkv.shape)) is not a multiple of heads = \(heads)")
    return (qkv.shape[0], qkv.shape[1], C, C / heads)
}
