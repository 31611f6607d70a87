import SynapseCore

/// One rank's share of each training step's batch of random text windows.
///
/// For step `s` the global batch is `B` windows whose offsets are drawn uniformly from
/// `0...N_train − T − 1` (every window whose `T` targets exist) by a generator seeded with
/// `(seed, step)` alone, in the dedicated stream `offsetStream`. It depends on nothing else, so
/// it is the same for any number of ranks and after resuming at any step: no generator state
/// has to be saved. Rank `r` of `S` takes global rows `r, r+S, r+2S, …` (`B / S` rows),
/// the interleaving `DistributedSampler` and `DataLoader` use.
///
/// This is nanoGPT's and the peer's random-offset sampling (`torch.randint(len − T − 1, (B,))`),
/// with a different generator, and one offset more: the peer's bound leaves out the last
/// valid window, `N_train − T − 1`; here it can be drawn.
///
/// Steady state allocates nothing: every step writes the same buffers (see `TextBatch`).
public final class TrainingWindows {
    /// The training tokens. - Shape: [N_train].
    public let tokens: [Int32]
    /// Window length T.
    public let context: Int
    /// Windows per step over all ranks, B.
    public let globalBatchSize: Int
    /// Number of ranks S.
    public let worldSize: Int
    /// This rank r, in `0..<worldSize`.
    public let rank: Int
    /// The run's seed.
    public let seed: UInt64

    private var buffer: TextWindowBuffer  // [B / S, T]

    /// The `RandomGenerator` stream of window offsets, next to `RandomGenerator.Stream`'s
    /// tags (1…5) but far from them ("text" in ASCII), so a tag added there cannot collide.
    public static let offsetStream: UInt64 = 0x7465_7874

    /// Windows of `context` tokens from `tokens` for rank `rank` of `worldSize`.
    /// - Throws: `DataError.invalidSetting` if `globalBatchSize` < 1 or does not divide by
    ///   `worldSize`, or `context` < 1; `.invalidCorpus` (naming `source`) if the text is
    ///   shorter than one window plus its last target.
    public init(tokens: [Int32], context: Int, globalBatchSize: Int, worldSize: Int = 1, rank: Int = 0,
                seed: UInt64, source: String) throws {
        precondition(worldSize >= 1 && rank >= 0 && rank < worldSize,
                     "TrainingWindows: rank \(rank) outside 0..<\(worldSize)")
        guard globalBatchSize >= 1 else {
            throw DataError.invalidSetting("batch size \(globalBatchSize) must be at least 1")
        }
        guard globalBatchSize % worldSize == 0 else {
            throw DataError.invalidSetting("the global batch size \(globalBatchSize) does not divide over "
                + "\(worldSize) ranks; use a batch size that is a multiple of \(worldSize), or another "
                + "number of ranks (results must not depend on the rank count)")
        }
        try requireWindow(tokens.count, context: context, part: "training", source: source)
        self.tokens = tokens
        self.context = context
        self.globalBatchSize = globalBatchSize
        self.worldSize = worldSize
        self.rank = rank
        self.seed = seed
        buffer = TextWindowBuffer(rows: globalBatchSize / worldSize, context: context)
    }

    /// Rows per rank, B / S.
    public var rowsPerRank: Int { globalBatchSize / worldSize }

    /// Number of possible offsets: windows start in `0..<offsetCount`.
    public var offsetCount: Int { tokens.count - context }

    /// The offsets of the whole global batch of `step` (all ranks' rows, in global order).
    /// - Shape: [B].
    public func globalOffsets(step: Int) -> [Int] {
        var rng = generator(step: step)
        return (0..<globalBatchSize).map { _ in rng.nextInt(below: offsetCount) }
    }

    /// This rank's rows of the global batch of `step`, in the reused buffers.
    /// - Shape: inputs [B/S, T], targets [B/S · T].
    public func batch(step: Int) -> TextBatch {
        var rng = generator(step: step)
        let (S, r, n) = (worldSize, rank, offsetCount)
        buffer.offsets.withUnsafeMutableBufferPointer { offsets in
            // Every rank draws all B offsets, so row j is the j-th draw whatever S is.
            for j in 0..<globalBatchSize {
                let offset = rng.nextInt(below: n)
                if j % S == r { offsets[j / S] = offset }
            }
        }
        buffer.fill(from: tokens)
        return buffer.batch(index: step)
    }

    /// The generator of `step`'s offsets.
    private func generator(step: Int) -> RandomGenerator {
        RandomGenerator(seed: seed, stream: TrainingWindows.offsetStream, UInt64(bitPattern: Int64(step)))
    }
}
