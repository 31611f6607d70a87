import Testing
import SynapseCore
import SynapseTestSupport

/// causalSelfAttention: hand-computed cases, the fused op against the plain-loop reference,
/// causality, and central-difference gradient checks from T = 1 and one head up to heads = C
/// and sequences longer than one row block. (Values against numpy are in
/// TransformerReferenceTests; the cached op is in KeyValueCacheTests.)
@Suite struct CausalSelfAttentionOpTests {
    let ln3: Float = 1.0986123

    @Test func handComputedOneHead() {
        // B 1, T 2, C 1, one head (D 1, so 1/√D = 1); rows [q, k, v]:
        //   t 0: [1, 0, 4]     → sees only itself: y0 = v0 = 4
        //   t 1: [1, ln 3, 8]  → scores q1·[k0, k1] = [0, ln 3], weights [1/4, 3/4],
        //                        y1 = 4/4 + 3·8/4 = 7
        let qkv = Tensor(shape: [1, 2, 3], values: [1, 0, 4, 1, ln3, 8], requiresGrad: true)
        let y = causalSelfAttention(qkv, heads: 1)
        #expect(y.shape == [1, 2, 1])
        expectClose(y.scalars, [4, 7], rtol: 1e-5)
        // Upstream [g0, g1] = [0.5, 2]. With y1 = Σ p_s v_s and dy1/dz_s = p_s (v_s − y1):
        //   dv0 = g0 + g1/4 = 1, dv1 = 3 g1/4 = 1.5
        //   dq1 = g1 Σ p_s (v_s − y1) k_s = 2 · 3/4 · 1 · ln 3 = 1.5 ln 3 = 1.6479184
        //   dk0 = g1 p0 (v0 − y1) q1 = 2 · 1/4 · (−3) = −1.5,  dk1 = g1 p1 (v1 − y1) q1 = 1.5
        //   dq0 = 0 (a softmax over one score is constant)
        y.backward(gradient: Tensor(shape: [1, 2, 1], values: [0.5, 2]))
        expectClose(qkv.grad!.scalars, [0, -1.5, 1, 1.6479184, 1.5, 1.5], rtol: 1e-5, atol: 1e-6)
    }

    @Test func handComputedTwoHeadsScaledBySqrtD() {
        // B 1, T 2, C 8, two heads of D 4 (scale 1/√4 = 1/2); each row is [q | k | v], each of
        // those [head 0 | head 1]:
        //   t 0: q [1,1,1,1 | 1,1,1,1], k [0,0,0,0 | 0,0,0,0], v [4,0,0,0 | 2,2,2,2] → y0 = v0
        //   t 1: q [2ln3,0,0,0 | 0,0,0,0], k [1,0,0,0 | 5,5,5,5], v [8,4,0,0 | 4,0,0,-2]
        // Head 0 at t 1: scores [0, 2 ln 3 / 2] = [0, ln 3] → weights [1/4, 3/4] →
        //   y = [4,0,0,0]/4 + 3·[8,4,0,0]/4 = [7, 3, 0, 0]. (Scaling by 1/D or not at all
        //   would give other weights.)
        // Head 1 at t 1: q = 0 → equal weights → y = ([2,2,2,2] + [4,0,0,-2]) / 2 = [3, 1, 1, 0].
        let qkv = Tensor(shape: [1, 2, 24], values: [
            1, 1, 1, 1, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0, 0, 0, /**/ 4, 0, 0, 0, 2, 2, 2, 2,
            2 * ln3, 0, 0, 0, 0, 0, 0, 0, /**/ 1, 0, 0, 0, 5, 5, 5, 5, /**/ 8, 4, 0, 0, 4, 0, 0, -2,
        ])
        expectClose(causalSelfAttention(qkv, heads: 2).scalars,
                    [4, 0, 0, 0, 2, 2, 2, 2, /**/ 7, 3, 0, 0, 3, 1, 1, 0], rtol: 1e-5, atol: 1e-6)
    }

    @Test func aPositionNeverSeesTheFuture() {
        // Changing everything at the last position changes only the last output row.
        let B = 2, T = 5, C = 6
        let qkv = randomTensor([B, T, 3 * C], seed: 60)
        let before = causalSelfAttention(qkv, heads: 3).scalars
        for b in 0..<B { for j in 0..<(3 * C) { qkv.pointer[(b * T + T - 1) * 3 * C + j] += 0.7 } }
        let after = causalSelfAttention(qkv, heads: 3).scalars
        for b in 0..<B {
            let earlier = (b * T * C)..<((b * T + T - 1) * C), last = ((b * T + T - 1) * C)..<((b + 1) * T * C)
            #expect(Array(before[earlier]) == Array(after[earlier]), "sequence \(b): earlier rows changed")
            #expect(Array(before[last]) != Array(after[last]), "sequence \(b): last row did not change")
        }
    }

    /// (B, T, C, heads): one block and several (row blocks of 32), T not a multiple of 8 or 32.
    @Test(arguments: [(2, 37, 12, 3), (3, 64, 32, 4), (1, 100, 8, 2), (2, 1, 4, 4)])
    func fusedMatchesReference(shape: (Int, Int, Int, Int)) {
        let (B, T, C, heads) = shape
        let qkv = randomTensor([B, T, 3 * C], seed: 61, low: -2, high: 2)
        expectClose(causalSelfAttention(qkv, heads: heads).scalars, causalSelfAttentionReference(qkv, heads: heads).scalars,
                    rtol: 1e-5, atol: 2e-6, "B \(B) T \(T) C \(C) heads \(heads)")
    }

    /// (B, T, C, heads): T 1, one head, heads = C (D 1), and T 34 across a row-block boundary.
    @Test(arguments: [(1, 1, 4, 1), (2, 3, 4, 2), (1, 4, 3, 3), (2, 5, 6, 1), (1, 34, 4, 2)])
    func gradientChecks(shape: (Int, Int, Int, Int)) {
        let (B, T, C, heads) = shape
        let qkv = randomTensor([B, T, 3 * C], seed: 62, low: -1.5, high: 1.5)
        expectGradientsMatch([qkv], "B \(B) T \(T) C \(C) heads \(heads)") {
            weightedSum(causalSelfAttention(qkv, heads: heads), seed: 63)
        }
    }

    @Test func backwardAddsToAnExistingGradient() {
        let qkv = randomTensor([2, 35, 12], seed: 64)
        expectBackwardAccumulates(into: qkv, "causalSelfAttention") { weightedSum(causalSelfAttention(qkv, heads: 2), seed: 65) }
    }

    @Test func widthNotAMultipleOfHeadsStopsWithAReadableMessage() async {
        await #expect(processExitsWith: .failure) {
            _ = causalSelfAttention(Tensor.zeros([1, 2, 18]), heads: 4)   // C 6
        }
        await #expect(processExitsWith: .failure) {
            _ = causalSelfAttention(Tensor.zeros([1, 2, 8]), heads: 1)    // not 3C
        }
    }
}
