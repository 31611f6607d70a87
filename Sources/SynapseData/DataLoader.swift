import SynapseCore

/// How a batch's images are laid out in the input tensor.
public enum InputLayout: Sendable {
    /// One row per image: [B, C·H·W], for fully connected networks.
    case flat
    /// One [C, H, W] block per image: [B, C, H, W], for convolutional networks.
    case image
}

/// One batch of normalized images and their labels.
///
/// `inputs` is the loader's reusable buffer: the next batch overwrites it. Use `copy()` to
/// keep the values. `labels` is an array (a value): keeping it is safe, at the cost of one copy
/// when the loader next writes its buffer.
public struct Batch {
    /// Position of this batch in the epoch, from 0.
    public let index: Int
    /// Normalized pixels. - Shape: [B, C·H·W] or [B, C, H, W] (see `InputLayout`).
    public let inputs: Tensor
    /// Class of each row. - Shape: [B].
    public let labels: [Int32]
    /// The dataset index each row was read from. - Shape: [B].
    public let samples: ArraySlice<Int>
    /// How many rows, from the first, are real samples; the rest repeat earlier samples to
    /// pad the epoch (see `DistributedSampler`). Evaluation counts only these.
    public let realCount: Int
    /// Number of rows B.
    public var count: Int { labels.count }
}

/// Builds one rank's batches of an epoch into buffers allocated once, normalizing bytes to
/// floats on the way.
///
/// The rank's samples for an epoch are its `DistributedSampler` shard; batch k is shard
/// positions [k·B, (k+1)·B) for the per-rank batch size B. Because the shard is list positions
/// r, r+S, r+2S, … this means: with global batch G = S·B, rank r's batch k holds the positions
/// k·G + r + S·j (j < B) of the epoch's order, so the ranks' batches k together are exactly
/// global batch k, its sample m on rank m % S — the same samples a single process with batch
/// G would see, whatever S is.
///
/// Steady state allocates nothing: each batch is written into the same tensor and label
/// array (a shorter last batch has its own, also allocated once). An epoch can start at any
/// batch, for exact resumption in the middle of an epoch.
public final class DataLoader {
    /// The images and labels.
    public let dataset: ImageDataset
    /// Which samples this rank sees each epoch.
    public let sampler: DistributedSampler
    /// Per-rank batch size B (the global batch divided by the world size).
    public let batchSize: Int
    /// Whether a last batch smaller than `batchSize` is skipped.
    public let dropLastBatch: Bool
    /// Shape of the input tensor.
    public let layout: InputLayout
    /// Pixel normalization applied while the batch is built.
    public let normalization: Normalization
    /// Random transformations of training images (identity for evaluation).
    public let augmentation: Augmentation

    private let table: [Float]               // normalized value of each byte
    private let fullInputs: Tensor           // [B, ...]
    private var fullLabels: [Int32]          // [B]
    private let lastInputs: Tensor?          // [B_last, ...] when the last batch is short
    private var lastLabels: [Int32]          // [B_last]
    private var shard: [Int] = []            // this rank's dataset indices for `shardEpoch`
    private var shardEpoch: Int?

    /// A loader over `sampler`'s shard of `dataset`.
    /// - Throws: `DataError.invalidSetting` if `batchSize` < 1, or if dropping the last
    ///   partial batch would leave no batch at all.
    public init(dataset: ImageDataset, sampler: DistributedSampler, batchSize: Int,
                normalization: Normalization, dropLastBatch: Bool = false, layout: InputLayout = .flat,
                augmentation: Augmentation = Augmentation()) throws {
        guard batchSize >= 1 else {
            throw DataError.invalidSetting("batch size per rank is \(batchSize); it must be at least 1")
        }
        precondition(sampler.indices.allSatisfy { $0 >= 0 && $0 < dataset.count },
                     "DataLoader: sampler index outside the dataset's 0..<\(dataset.count)")
        let perRank = sampler.samplesPerRank
        if dropLastBatch && perRank > 0 && perRank < batchSize {
            throw DataError.invalidSetting("each rank has \(perRank) samples per epoch, fewer than its "
                + "batch size \(batchSize), and drop_last is on: no batch would remain; lower the "
                + "batch size or use fewer ranks")
        }
        self.dataset = dataset
        self.sampler = sampler
        self.batchSize = batchSize
        self.dropLastBatch = dropLastBatch
        self.layout = layout
        self.normalization = normalization
        self.augmentation = augmentation
        self.table = normalization.lookupTable()

        let sampleShape = layout == .flat ? [dataset.featureCount] : dataset.imageShape
        fullInputs = Tensor(uninitializedShape: [batchSize] + sampleShape)
        fullLabels = [Int32](repeating: 0, count: batchSize)
        let lastSize = dropLastBatch ? 0 : perRank % batchSize
        lastInputs = lastSize > 0 ? Tensor(uninitializedShape: [lastSize] + sampleShape) : nil
        lastLabels = [Int32](repeating: 0, count: lastSize)
    }

    /// Batches per epoch, the same on every rank and in every epoch.
    public var batchCount: Int {
        let n = sampler.samplesPerRank
        return dropLastBatch ? n / batchSize : (n + batchSize - 1) / batchSize
    }

    /// The batches of `epoch`, from batch `start` (0 for a fresh epoch; the saved position
    /// when resuming). Each batch reuses the loader's buffers.
    public func batches(epoch: Int, startingAt start: Int = 0) -> Batches {
        precondition(start >= 0 && start <= batchCount,
                     "DataLoader: start batch \(start) outside 0...\(batchCount)")
        return Batches(loader: self, epoch: epoch, nextIndex: start)
    }

    /// Builds batch `index` of `epoch` (in the reused buffers) and returns it.
    public func batch(_ index: Int, epoch: Int) -> Batch {
        precondition(index >= 0 && index < batchCount, "DataLoader: batch \(index) outside 0..<\(batchCount)")
        if shardEpoch != epoch {
            shard = sampler.shard(epoch: epoch)
            shardEpoch = epoch
        }
        let start = index * batchSize
        let B = min(batchSize, shard.count - start)
        let isShort = B < batchSize
        let inputs = isShort ? lastInputs! : fullInputs
        if isShort {
            fill(inputs, &lastLabels, from: start, epoch: epoch)
        } else {
            fill(inputs, &fullLabels, from: start, epoch: epoch)
        }
        let realCount = min(B, max(0, sampler.realSampleCount - start))
        return Batch(index: index, inputs: inputs, labels: isShort ? lastLabels : fullLabels,
                     samples: shard[start..<(start + B)], realCount: realCount)
    }

    /// Writes shard positions [start, start + labels.count) into `inputs` and `labels`.
    private func fill(_ inputs: Tensor, _ labels: inout [Int32], from start: Int, epoch: Int) {
        let F = dataset.featureCount
        let out = inputs.pointer  // [B, F]
        shard.withUnsafeBufferPointer { shard in
            dataset.images.withUnsafeBufferPointer { pixels in
                dataset.labels.withUnsafeBufferPointer { allLabels in
                    table.withUnsafeBufferPointer { table in
                        labels.withUnsafeMutableBufferPointer { labels in
                            for row in 0..<labels.count {
                                let sample = shard[start + row]
                                let src = pixels.baseAddress! + sample * F
                                let dst = out + row * F
                                if augmentation.isIdentity {
                                    for j in 0..<F { dst[j] = table[Int(src[j])] }
                                } else {
                                    // Seeded per (seed, epoch, sample): the same on any rank count.
                                    var rng = RandomGenerator(seed: sampler.seed, stream: RandomGenerator.Stream.augmentation,
                                                              UInt64(epoch), UInt64(sample))
                                    augmentation.apply(src: src, dst: dst, shape: dataset.imageShape, table: table, rng: &rng)
                                }
                                labels[row] = allLabels[sample]
                            }
                        }
                    }
                }
            }
        }
    }

    /// The batches of one epoch, in order, as a sequence for `for batch in …`.
    public struct Batches: Sequence, IteratorProtocol {
        let loader: DataLoader
        let epoch: Int
        /// Index of the batch `next()` builds.
        public private(set) var nextIndex: Int

        /// Builds and returns the next batch, or `nil` after the last.
        public mutating func next() -> Batch? {
            guard nextIndex < loader.batchCount else { return nil }
            defer { nextIndex += 1 }
            return loader.batch(nextIndex, epoch: epoch)
        }
    }
}
