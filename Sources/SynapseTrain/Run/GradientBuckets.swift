import SynapseCore

/// How the gradient arena is cut for the overlapped all-reduce (`train.overlap`): contiguous
/// slices ("buckets") of about `train.bucket_mb` each, numbered in the order backward finishes
/// them.
///
/// The arena lays parameters out in model order (`fc1.weight`, `fc1.bias`, …, `fc2.bias`), and
/// backward finishes them in roughly the reverse order: the output layer's gradients are final
/// first, the first layer's last. So the buckets are cut from the END of the arena: bucket 0
/// holds the last parameters (and the control flags stored right after the gradients, so the
/// flags still ride in a gradient collective), bucket 1 the ones before, and so on. A
/// parameter whose gradient is final late although it sits near the end (or early although it
/// sits near the start) only delays its own bucket; the GPT's tied token embedding sits first in
/// the arena and is final last (its last use in backward is the input lookup), so it lands in
/// the last bucket, which is the last one ready anyway. A parameter is never split: one bigger
/// than the bucket size is a bucket of its own.
///
/// Buckets start strictly in index order on every rank (bucket b only once 0..<b have
/// started), so the order of the collectives never depends on how a rank's backward happened
/// to run: MPI requires the same order everywhere.
public struct GradientBuckets: Sendable, Equatable {
    /// One bucket: the arena entries it covers (indices into `ParameterArena.entries`) and
    /// its slice of `ParameterArena.gradsAndControl`.
    public struct Bucket: Sendable, Equatable {
        /// Entries `entries.lowerBound..<entries.upperBound` of the arena.
        public var entries: Range<Int>
        /// Floats `elements.lowerBound..<elements.upperBound` of `gradsAndControl`.
        public var elements: Range<Int>
    }

    /// The buckets in the order they are started (bucket 0 = the end of the arena).
    public let buckets: [Bucket]
    /// For each arena entry, the bucket that holds it; -1 for an entry left out (`excluding`).
    public let bucketOfEntry: [Int]

    /// Cuts `arena` into buckets of at least `bytes` bytes (the last one cut may be smaller),
    /// leaving out the entries in `excluding` (exchanged another way: `FactoredLinearGradient`):
    /// a bucket never spans one, so one is cut short where an excluded entry begins.
    public init(arena: ParameterArena, bytes: Int, excluding: Set<Int> = []) {
        let minimum = max(1, bytes / MemoryLayout<Float>.stride)
        var buckets: [Bucket] = []
        // The bucket being filled: entries lower..<upper, floats offset(lower)..<upperElement.
        var upper = arena.entries.count, upperElement = arena.count + ParameterArena.controlSlotCount
        var size = 0
        for e in arena.entries.indices.reversed() {
            let entry = arena.entries[e]
            if excluding.contains(e) {
                let end = entry.offset + entry.count
                if upperElement > end { buckets.append(Bucket(entries: (e + 1)..<upper, elements: end..<upperElement)) }
                (upper, upperElement, size) = (e, entry.offset, 0)
                continue
            }
            size += entry.count
            if size >= minimum || e == 0 {
                buckets.append(Bucket(entries: e..<upper, elements: entry.offset..<upperElement))
                (upper, upperElement, size) = (e, entry.offset, 0)
            }
        }
        if buckets.isEmpty {   // a model without parameters: the flags alone
            buckets.append(Bucket(entries: 0..<0, elements: 0..<upperElement))
        }
        var owner = [Int](repeating: -1, count: arena.entries.count)
        for (b, bucket) in buckets.enumerated() { for e in bucket.entries { owner[e] = b } }
        self.buckets = buckets
        self.bucketOfEntry = owner
    }

    /// Cuts `arena` into buckets of `megabytes` (`train.bucket_mb`, 1 MB = 2^20 bytes).
    public init(arena: ParameterArena, megabytes: Double, excluding: Set<Int> = []) {
        self.init(arena: arena, bytes: Int((megabytes * 1_048_576).rounded()), excluding: excluding)
    }
}
