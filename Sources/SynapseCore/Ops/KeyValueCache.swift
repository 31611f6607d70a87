/// The keys and values of the positions a Transformer layer has already seen, for generating
/// one token at a time without recomputing them (one cache per attention layer).
///
/// Without a cache, producing token T+1 runs attention over all T+1 positions again; with it,
/// only the new position's query, key and value are computed, and the query attends to the
/// stored keys and values. Generation only: nothing here takes part in autograd.
///
/// The cache holds at most `capacity` positions (the model's context length). When it is
/// full, the caller slides the window: `reset()` and feed the last positions again (learned
/// position embeddings change when a token's position does, so stored keys cannot be kept).
public final class KeyValueCache {
    /// Sequences in the batch (B).
    public let batch: Int
    /// Positions the cache can hold (the context length).
    public let capacity: Int
    /// Width C of a key or value (all heads side by side).
    public let width: Int
    /// Keys of positions 0..<length per sequence; the rest is unused.
    /// - Shape: [B, capacity, C].
    public let keys: Tensor
    /// Values of positions 0..<length per sequence; the rest is unused.
    /// - Shape: [B, capacity, C].
    public let values: Tensor
    /// Positions filled so far (the absolute position of the next one).
    public internal(set) var length = 0

    /// An empty cache for `batch` sequences of up to `capacity` positions of width `width`.
    public init(batch: Int, capacity: Int, width: Int) {
        precondition(batch > 0 && capacity > 0 && width > 0,
                     "KeyValueCache: batch (\(batch)), capacity (\(capacity)) and width (\(width)) must be positive")
        self.batch = batch
        self.capacity = capacity
        self.width = width
        keys = Tensor(uninitializedShape: [batch, capacity, width])
        values = Tensor(uninitializedShape: [batch, capacity, width])
    }

    /// Forgets every position (length 0); the next call starts a new sequence.
    public func reset() { length = 0 }
}

/// `causalSelfAttention` for n NEW positions of sequences whose earlier positions are in
/// `cache`: appends the new keys and values at positions length..<length+n, then the query at
/// absolute position p attends to cached positions 0...p. Feeding a sequence in pieces (one
/// position at a time, or chunks) gives what `causalSelfAttention(_:heads:)` gives on the
/// whole sequence. Not recorded on the tape (generation needs no gradients).
/// - Shape: qkv [B, n, 3C] → y [B, n, C]; cache for batch B and width C.
/// - Precondition: length + n ≤ capacity (the caller slides the window, see `KeyValueCache`).
public func causalSelfAttention(_ qkv: Tensor, heads: Int, cache: KeyValueCache) -> Tensor {
    let (B, n, C, D) = attentionDimensions("causalSelfAttention(cache:)", qkv, heads: heads)
    precondition(B == cache.batch && C == cache.width,
                 "causalSelfAttention(cache:): qkv \(qkv.shape) does not fit a cache of batch \(cache.batch) and width \(cache.width) "
                 + "(expected [\(cache.batch), n, \(3 * cache.width)])")
    let first = cache.length, cap = cache.capacity
    precondition(first + n <= cap,
                 "causalSelfAttention(cache:): \(n) new positions after \(first) cached exceed the capacity of \(cap); "
                 + "reset the cache and feed the last positions again (slide the window)")
    let src = qkv.pointer, keys = cache.keys.pointer, values = cache.values.pointer
    for b in 0..<B {
        for i in 0..<n {
            let row = src + (b * n + i) * 3 * C, slot = (b * cap + first + i) * C
            (keys + slot).update(from: row + C, count: C)
            (values + slot).update(from: row + 2 * C, count: C)
        }
    }
    cache.length = first + n
    let y = Tensor(uninitializedShape: [B, n, C])
    let p = Tensor(uninitializedShape: [n, first + n])   // one head's attention weights (scratch)
    let scale = 1 / Float(D).squareRoot()
    for b in 0..<B {
        for h in 0..<heads {
            attendCausally(q: src + b * n * 3 * C + h * D, ldq: 3 * C,
                           k: keys + b * cap * C + h * D, v: values + b * cap * C + h * D, ldkv: C,
                           first: first, n: n, D: D, scale: scale,
                           p: p.pointer, ldp: first + n, y: y.pointer + b * n * C + h * D, ldy: C)
        }
    }
    return y
}
