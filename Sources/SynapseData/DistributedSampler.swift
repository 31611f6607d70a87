import SynapseCore

/// Which samples one rank sees in each epoch, with the semantics of PyTorch's
/// `torch.utils.data.DistributedSampler`.
///
/// Every epoch draws one permutation of the index list from `(seed, epoch)`, identical on
/// all ranks. Unless `dropLast`, the permuted list is padded by repeating its start until its
/// length divides the world size; with `dropLast` it is cut to the largest multiple instead.
/// Rank `r` then takes positions `r, r + S, r + 2S, …`. Every rank gets the same number of
/// samples, so every rank runs the same number of steps (a rank that runs out early while
/// the others wait in an all-reduce is a hang).
///
/// Padding repeats samples; evaluation must not count them twice. Padded positions are the
/// last ones of the padded list, so on each rank they are a tail of its shard:
/// `realSampleCount` says how many of a rank's samples come first and are real.
///
/// Reference: PyTorch documentation, `torch.utils.data.distributed.DistributedSampler`.
public struct DistributedSampler: Equatable, Sendable {
    /// The dataset indices to draw from (for example the training part of a split), length L.
    public let indices: [Int]
    /// Number of ranks S.
    public let worldSize: Int
    /// This rank r, in `0..<worldSize`.
    public let rank: Int
    /// Seed of the per-epoch permutations.
    public let seed: UInt64
    /// Whether each epoch uses a fresh permutation (training) or the list order (evaluation).
    public let shuffle: Bool
    /// Whether to cut the list to a multiple of S instead of padding it.
    public let dropLast: Bool

    /// A sampler for rank `rank` of `worldSize`.
    public init(indices: [Int], worldSize: Int = 1, rank: Int = 0, seed: UInt64 = 0,
                shuffle: Bool = true, dropLast: Bool = false) {
        precondition(worldSize >= 1, "DistributedSampler: world size \(worldSize) must be at least 1")
        precondition(rank >= 0 && rank < worldSize, "DistributedSampler: rank \(rank) outside 0..<\(worldSize)")
        self.indices = indices
        self.worldSize = worldSize
        self.rank = rank
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
    }

    /// Samples every rank gets per epoch: ⌈L / S⌉ when padding, ⌊L / S⌋ with `dropLast`.
    public var samplesPerRank: Int {
        let L = indices.count
        return dropLast ? L / worldSize : (L + worldSize - 1) / worldSize
    }

    /// Length of the padded (or cut) list all ranks share: `samplesPerRank × S`.
    public var totalSize: Int { samplesPerRank * worldSize }

    /// How many of this rank's samples are real (not padding); they come first in its shard.
    /// Summed over ranks this is L (or `totalSize` with `dropLast`).
    public var realSampleCount: Int {
        // Shard position p holds list position r + p·S, real when that is < L.
        let L = min(indices.count, totalSize)
        return min(samplesPerRank, max(0, (L - rank + worldSize - 1) / worldSize))
    }

    /// The epoch's order shared by all ranks, padded or cut to `totalSize`: dataset indices.
    public func epochOrder(_ epoch: Int) -> [Int] {
        let L = indices.count
        guard L > 0 else { return [] }
        var order = indices
        if shuffle {
            var rng = RandomGenerator(seed: seed, stream: RandomGenerator.Stream.dataOrder, UInt64(epoch))
            order = rng.permutation(L).map { indices[$0] }
        }
        let total = totalSize
        if total <= L { return Array(order[..<total]) }
        var padded = order
        padded.reserveCapacity(total)
        for position in L..<total { padded.append(order[position % L]) }  // repeat from the start
        return padded
    }

    /// This rank's dataset indices for `epoch`: list positions r, r + S, …
    /// (`samplesPerRank` of them, the first `realSampleCount` real).
    public func shard(epoch: Int) -> [Int] {
        let order = epochOrder(epoch)
        return Array(stride(from: rank, to: order.count, by: worldSize).map { order[$0] })
    }
}
