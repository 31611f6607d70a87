import SynapseCore
import SynapseComm

/// `DataSource` over image data (`TrainingData`) for one sharding: global batch G split
/// over S ranks, this rank r taking samples r, r + S, … of each global batch (so a batch has
/// the same samples on any number of ranks), and 1/S of each evaluation split.
public final class ImageDataSource: DataSource {
    /// The images, normalized and split.
    public let data: TrainingData
    /// Samples per global batch, this rank, the number of ranks.
    public let globalBatch: Int, rank: Int, worldSize: Int

    /// Shards `data` for `worldSize` ranks at global batch `globalBatch` (which the caller has
    /// checked divides by `worldSize`).
    public init(data: TrainingData, globalBatch: Int, rank: Int, worldSize: Int) {
        self.data = data
        self.globalBatch = globalBatch
        self.rank = rank
        self.worldSize = worldSize
    }

    /// Shards `data` for the ranks of `comm` at `train.batch_size`, after checking rule 1
    /// (the global batch divides over the ranks) and that an epoch has at least one step.
    public convenience init(data: TrainingData, config: Config, comm: any Communicator) throws {
        try Self.requireDivisibleBatch(config: config, comm: comm)
        let global = config.train.batchSize
        self.init(data: data, globalBatch: global, rank: comm.rank, worldSize: comm.size)
        guard stepsPerEpoch > 0 else {
            throw UserError("train.batch_size = \(global) is larger than the training split (\(data.trainCount) samples); "
                            + "lower train.batch_size or use more data (data.train_subset, data.validation_size).")
        }
    }

    /// Rule 1: `train.batch_size` is the global batch and must divide over the ranks, and each
    /// rank's share over `train.accumulate_steps` micro-batches.
    public static func requireDivisibleBatch(config: Config, comm: any Communicator) throws {
        let global = config.train.batchSize
        guard global % comm.size == 0 else {
            throw UserError("train.batch_size = \(global) is the GLOBAL batch and must divide evenly over \(comm.size) ranks "
                            + "(\(global) / \(comm.size) is not an integer). Use a multiple of \(comm.size), e.g. "
                            + "--set train.batch_size=\(max(comm.size, global / comm.size * comm.size)).")
        }
        let k = config.train.accumulateSteps, parts = comm.size * k
        guard global % parts == 0 else {
            throw UserError("train.batch_size = \(global) must divide into \(comm.size) ranks × \(k) micro-batches "
                            + "(train.accumulate_steps) of equal size, but \(global) / \(parts) is not an integer. "
                            + "Use a multiple of \(parts), e.g. --set train.batch_size=\(max(parts, global / parts * parts)), "
                            + "or fewer accumulate_steps.")
        }
    }

    /// Global batches in one pass over the training images.
    public var stepsPerEpoch: Int { data.stepsPerEpoch(globalBatch: globalBatch, worldSize: worldSize) }

    /// One prediction per image of the global batch.
    public var predictionsPerStep: Int { globalBatch }

    /// The dataset and its split sizes, in words.
    public var description: String {
        "\(data.trainCount) samples (val \(data.valCount), test \(data.testCount))"
    }

    /// Images in `split`.
    public func count(of split: EvaluationSplit) -> Int { data.count(of: split) }

    /// - Shape: inputs [G/S, features] or [G/S, C, H, W], targets [G/S].
    public func trainBatch(epoch: Int, index: Int) throws -> TrainingBatch {
        let batch = try data.trainBatch(epoch: epoch, index: index, globalBatch: globalBatch, rank: rank, worldSize: worldSize)
        return TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples)
    }

    /// Calls `body` with this rank's share of `split`, `batchSize` images at a time.
    public func forEachEvalBatch(split: EvaluationSplit, batchSize: Int, _ body: (TrainingBatch) throws -> Void) throws {
        try data.forEachEvalBatch(split: split, rank: rank, worldSize: worldSize, batchSize: batchSize) { x, labels in
            try body(TrainingBatch(inputs: x, targets: labels))
        }
    }
}
