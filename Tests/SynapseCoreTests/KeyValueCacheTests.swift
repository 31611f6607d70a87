import Testing
import SynapseCore
import SynapseTestSupport

/// causalSelfAttention with a KeyValueCache: fed in pieces, it gives what the uncached op
/// gives on the whole sequence.
@Suite struct KeyValueCacheTests {
    /// Rows t..<t+n of every sequence of a [B, T, W] tensor, as a [B, n, W] tensor.
    func positions(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        let B = x.shape[0], T = x.shape[1], W = x.shape[2], n = range.count
        let out = Tensor(uninitializedShape: [B, n, W])
        for b in 0..<B {
            (out.pointer + b * n * W).update(from: x.pointer + (b * T + range.lowerBound) * W, count: n * W)
        }
        return out
    }

    /// Feeds `qkv` through a fresh cache in chunks of the given sizes and returns the outputs
    /// stitched back into [B, T, C].
    func cachedOutputs(_ qkv: Tensor, heads: Int, chunks: [Int], cache: KeyValueCache) -> Tensor {
        let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3
        let y = Tensor(uninitializedShape: [B, T, C])
        var start = 0
        for n in chunks {
            let part = causalSelfAttention(positions(qkv, start..<(start + n)), heads: heads, cache: cache)
            #expect(part.shape == [B, n, C])
            #expect(cache.length == start + n)
            for b in 0..<B { (y.pointer + (b * T + start) * C).update(from: part.pointer + b * n * C, count: n * C) }
            start += n
        }
        precondition(start == T, "chunks must add up to T")
        return y
    }

    /// (chunk sizes): one position at a time, uneven chunks, and chunks longer than a row
    /// block after earlier positions.
    @Test(arguments: [Array(repeating: 1, count: 40), [3, 1, 5, 31], [5, 35], [40]])
    func piecesMatchTheWholeSequence(chunks: [Int]) {
        let B = 2, T = 40, C = 8, heads = 2
        let qkv = randomTensor([B, T, 3 * C], seed: 70, low: -2, high: 2)
        let whole = causalSelfAttention(qkv, heads: heads)
        let cache = KeyValueCache(batch: B, capacity: 48, width: C)
        expectClose(cachedOutputs(qkv, heads: heads, chunks: chunks, cache: cache).scalars, whole.scalars,
                    rtol: 0, atol: 1e-5, "chunks \(chunks)")
    }

    @Test func resetStartsANewSequence() {
        // After reset the earlier sequence is forgotten: feeding another one gives its own
        // uncached outputs, not attention over stale keys.
        let cache = KeyValueCache(batch: 1, capacity: 6, width: 4)
        let first = randomTensor([1, 6, 12], seed: 71), second = randomTensor([1, 4, 12], seed: 72)
        _ = cachedOutputs(first, heads: 2, chunks: [2, 4], cache: cache)
        #expect(cache.length == 6)
        cache.reset()
        #expect(cache.length == 0)
        expectClose(cachedOutputs(second, heads: 2, chunks: [1, 1, 2], cache: cache).scalars,
                    causalSelfAttention(second, heads: 2).scalars, rtol: 0, atol: 1e-5)
    }

    @Test func storesKeysAndValuesAtTheirPositions() {
        // qkv row [q | k | v] of position p lands in keys[b, p] and values[b, p].
        let cache = KeyValueCache(batch: 1, capacity: 3, width: 2)
        _ = causalSelfAttention(Tensor(shape: [1, 1, 6], values: [1, 2, 3, 4, 5, 6]), heads: 1, cache: cache)
        _ = causalSelfAttention(Tensor(shape: [1, 1, 6], values: [7, 8, 9, 10, 11, 12]), heads: 1, cache: cache)
        #expect(Array(cache.keys.scalars[0..<4]) == [3, 4, 9, 10])
        #expect(Array(cache.values.scalars[0..<4]) == [5, 6, 11, 12])
    }

    @Test func overfillingStopsWithAReadableMessage() async {
        await #expect(processExitsWith: .failure) {
            let cache = KeyValueCache(batch: 1, capacity: 3, width: 2)
            _ = causalSelfAttention(Tensor.zeros([1, 2, 6]), heads: 1, cache: cache)
            _ = causalSelfAttention(Tensor.zeros([1, 2, 6]), heads: 1, cache: cache)   // 4 > 3
        }
        await #expect(processExitsWith: .failure) {
            _ = causalSelfAttention(Tensor.zeros([2, 1, 6]), heads: 1, cache: KeyValueCache(batch: 1, capacity: 3, width: 2))
        }
    }
}
