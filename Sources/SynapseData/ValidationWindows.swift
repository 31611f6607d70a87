/// One rank's share of the validation text, cut into non-overlapping windows and served in
/// batches.
///
/// The text of `N_val` tokens holds `n = (N_val − 1) / T` windows; window `i` starts at `i·T`,
/// its inputs are `val[i·T ..< i·T + T]` and its targets `val[i·T + 1 ..< i·T + T + 1]`,
/// exactly the peer's `validation_bits` (the tail too short for a whole window is not scored).
///
/// Window `i` belongs to rank `i mod S` (the interleaving `DistributedSampler` uses), so
/// summed over ranks every window is scored exactly once, with no padding. Ranks may hold
/// one window, and so one batch, fewer than others: evaluate the local batches, then
/// all-reduce the loss sum and the token count once; never put a collective inside the loop
/// over batches. Loss per token = sum / (n·T), in bits per character after dividing by ln 2.
///
/// Steady state allocates nothing: every full batch writes one set of buffers, the shorter
/// last batch another (see `TextBatch`).
public final class ValidationWindows {
    /// The validation tokens. - Shape: [N_val].
    public let tokens: [Int32]
    /// Window length T.
    public let context: Int
    /// Windows per batch on this rank (the last batch may hold fewer).
    public let batchSize: Int
    /// Number of ranks S.
    public let worldSize: Int
    /// This rank r, in `0..<worldSize`.
    public let rank: Int

    private var full: TextWindowBuffer       // [batchSize, T]
    private var last: TextWindowBuffer?      // [windowCount % batchSize, T] when short

    /// This rank's windows of `tokens`, in batches of `batchSize`.
    /// - Throws: `DataError.invalidSetting` if `batchSize` or `context` < 1; `.invalidCorpus`
    ///   (naming `source`) if the text is shorter than `context + 1` tokens, one window.
    public init(tokens: [Int32], context: Int, batchSize: Int, worldSize: Int = 1, rank: Int = 0,
                source: String) throws {
        precondition(worldSize >= 1 && rank >= 0 && rank < worldSize,
                     "ValidationWindows: rank \(rank) outside 0..<\(worldSize)")
        guard batchSize >= 1 else {
            throw DataError.invalidSetting("evaluation batch size \(batchSize) must be at least 1")
        }
        try requireWindow(tokens.count, context: context, part: "validation", source: source)
        self.tokens = tokens
        self.context = context
        self.batchSize = batchSize
        self.worldSize = worldSize
        self.rank = rank
        full = TextWindowBuffer(rows: batchSize, context: context)
        last = nil
        let lastRows = windowCount % batchSize
        if lastRows > 0 { last = TextWindowBuffer(rows: lastRows, context: context) }
    }

    /// Windows over all ranks, n = (N_val − 1) / T.
    public var totalWindowCount: Int { (tokens.count - 1) / context }

    /// Windows on this rank: those `i < n` with `i mod S = r`.
    public var windowCount: Int {
        let n = totalWindowCount
        return n > rank ? (n - rank + worldSize - 1) / worldSize : 0
    }

    /// Batches on this rank, ⌈windowCount / batchSize⌉.
    public var batchCount: Int { (windowCount + batchSize - 1) / batchSize }

    /// Start of this rank's `k`-th window: window `r + k·S`, at token `(r + k·S)·T`.
    public func windowStart(_ k: Int) -> Int { (rank + k * worldSize) * context }

    /// Batch `index` of this rank (windows `index·batchSize ..<` of its list), in the reused
    /// buffers. - Shape: inputs [b, T], targets [b·T], b ≤ batchSize.
    public func batch(_ index: Int) -> TextBatch {
        precondition(index >= 0 && index < batchCount, "ValidationWindows: batch \(index) outside 0..<\(batchCount)")
        let first = index * batchSize
        let b = min(batchSize, windowCount - first)
        if b == batchSize {
            for row in 0..<b { full.offsets[row] = windowStart(first + row) }
            full.fill(from: tokens)
            return full.batch(index: index)
        }
        for row in 0..<b { last!.offsets[row] = windowStart(first + row) }
        last!.fill(from: tokens)
        return last!.batch(index: index)
    }

    /// This rank's batches in order, for `for batch in windows.batches() { … }`.
    public func batches() -> Batches { Batches(windows: self, nextIndex: 0) }

    /// This rank's validation batches as a sequence.
    public struct Batches: Sequence, IteratorProtocol {
        let windows: ValidationWindows
        /// Index of the batch `next()` builds.
        public private(set) var nextIndex: Int

        /// Builds and returns the next batch, or `nil` after the last.
        public mutating func next() -> TextBatch? {
            guard nextIndex < windows.batchCount else { return nil }
            defer { nextIndex += 1 }
            return windows.batch(nextIndex)
        }
    }
}
