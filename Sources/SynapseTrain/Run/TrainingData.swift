import SynapseCore
import SynapseData

extension DataError: UserFacingError {}

/// The image data of a run: the training, validation and test images, the normalization
/// fitted on the training part, and the loaders that cut them into per-rank batches. One
/// `TrainingData` can serve several shardings (a distributed run and its single-rank replay,
/// a student and its teachers); `ImageDataSource` fixes one for a run.
///
/// Training takes only full global batches (⌊train / batch_size⌋ steps per epoch) so that the
/// step count and each step's samples are the same for any number of ranks: global batch k
/// is positions [k·G, (k+1)·G) of the epoch's permutation, sample m on rank m mod S.
public final class TrainingData {
    /// Which split an evaluation scores.
    public typealias Split = EvaluationSplit

    /// Inputs per sample (784 for 28×28 images).
    public let inputFeatures: Int
    /// Number of classes.
    public let classCount: Int
    /// Sizes of the splits.
    public let trainCount: Int, valCount: Int, testCount: Int
    /// Pixel normalization fitted on the training part.
    public let normalization: Normalization

    private let trainSet: ImageDataset
    private let testSet: ImageDataset
    private let split: TrainValidationSplit
    private let seed: UInt64
    private let augmentation: Augmentation
    /// Whether batches are images [B, C, H, W] (convolutional models) or rows [B, features].
    public let layout: InputLayout
    /// [C, H, W] of one sample.
    public let imageShape: [Int]
    private var trainLoader: DataLoader?
    private var trainLoaderKey: [Int] = []
    private var evalLoaders: [String: DataLoader] = [:]

    /// Loads the dataset the config names and splits off the validation part.
    public init(config: Config) throws {
        let d = config.data
        let load: (DatasetSplit) throws -> ImageDataset = { part in
            switch d.dataset {
            case .fashionMNIST: return try FashionMNIST.load(directory: d.path, split: part)
            case .mnist: return try MNIST.load(directory: d.path, split: part)
            case .cifar10: return try CIFAR10.load(directory: d.path, split: part)
            case .text: throw UserError("data.dataset text is not image data; it is read by TextData")
            }
        }
        var train = try load(.train)
        var test = try load(.test)
        if d.trainSubset > 0 && d.trainSubset < train.count { train = train.prefix(d.trainSubset) }
        if d.testSubset > 0 && d.testSubset < test.count { test = test.prefix(d.testSubset) }
        guard d.validationSize < train.count else {
            throw UserError("data.validation_size = \(d.validationSize) leaves no training samples (the training split has \(train.count)); lower it")
        }
        split = try TrainValidationSplit(count: train.count, validationCount: d.validationSize, seed: config.train.seed)
        normalization = d.normalize ? try Normalization(fittedTo: train, indices: split.train) : .unitInterval
        trainSet = train
        testSet = test
        seed = config.train.seed
        augmentation = Augmentation(cropPadding: d.augment.cropPadding, horizontalFlip: d.augment.horizontalFlip,
                                    erasing: d.augment.randomErasing)
        layout = config.model.kind.takesImages ? .image : .flat
        imageShape = train.imageShape
        if !augmentation.isIdentity && train.imageShape.count != 3 {
            throw UserError("data.augment needs image data [C, H, W]; the dataset has samples of shape \(train.imageShape)")
        }
        inputFeatures = train.featureCount
        classCount = train.classCount
        trainCount = split.train.count
        valCount = split.validation.count
        testCount = test.count
    }

    /// Optimizer steps in one epoch: full global batches only.
    public func stepsPerEpoch(globalBatch: Int, worldSize: Int) -> Int { trainCount / globalBatch }

    /// Builds this rank's share of global batch `index` of `epoch` into the loader's reused
    /// buffers and returns it. - Shape: inputs [G/S, features], labels [G/S].
    public func trainBatch(epoch: Int, index: Int, globalBatch: Int, rank: Int, worldSize: Int) throws -> Batch {
        // One loader per (global batch, rank, world size): a loader built for one shard must
        // not serve another (a single-rank replay beside a distributed run, `synapse verify`).
        let key = [globalBatch, rank, worldSize]
        if trainLoader == nil || trainLoaderKey != key {
            trainLoaderKey = key
            let sampler = DistributedSampler(indices: split.train, worldSize: worldSize, rank: rank, seed: seed,
                                             shuffle: true, dropLast: false)
            trainLoader = try DataLoader(dataset: trainSet, sampler: sampler, batchSize: globalBatch / worldSize,
                                         normalization: normalization, dropLastBatch: true, layout: layout,
                                         augmentation: augmentation)
        }
        return trainLoader!.batch(index, epoch: epoch)
    }

    /// Number of samples in the dataset the training split is drawn from (training and
    /// validation images together): the range of `Batch.samples` for training batches.
    public var trainingSetSize: Int { trainSet.count }

    /// Calls `body` with the training split in chunks of `size` samples, in a fixed order,
    /// normalized and never augmented, each with the dataset index of every row. Chunk k goes
    /// to rank k mod S: the ranks share the work, and each chunk holds the same rows, computed
    /// the same way, on any number of ranks.
    public func forEachTrainingChunk(size: Int, rank: Int, worldSize: Int,
                                     _ body: (Tensor, ArraySlice<Int>) throws -> Void) throws {
        let sampler = DistributedSampler(indices: split.train, worldSize: 1, rank: 0, seed: seed,
                                         shuffle: false, dropLast: false)
        let loader = try DataLoader(dataset: trainSet, sampler: sampler, batchSize: size,
                                    normalization: normalization, dropLastBatch: false, layout: layout)
        for k in stride(from: rank, to: loader.batchCount, by: worldSize) {
            let batch = loader.batch(k, epoch: 0)
            try body(batch.inputs, batch.samples)
        }
    }

    /// The class names of the dataset ("T-shirt/top", "Trouser", … for Fashion-MNIST).
    public var classNames: [String] { trainSet.classNames }

    /// Number of samples in `split`.
    public func count(of which: Split) -> Int {
        switch which {
        case .train: trainCount
        case .validation: valCount
        case .test: testCount
        }
    }

    /// The raw pixels (0–255, [C, H, W] order) and the label of the sample at `position` of
    /// `split`, in the order one rank's `forEachEvalBatch` scores them. Precondition: `position`
    /// is in 0..<count(of: split).
    public func rawSample(_ which: Split, position: Int) -> (pixels: ArraySlice<UInt8>, label: Int32) {
        let (set, index): (ImageDataset, Int) = switch which {
        case .train: (trainSet, split.train[position])
        case .validation: (trainSet, split.validation[position])
        case .test: (testSet, position)
        }
        let n = set.featureCount
        return (set.images[(index * n)..<((index + 1) * n)], set.labels[index])
    }

    /// Calls `body` with each of this rank's evaluation batches of `split` (no shuffling).
    /// Padding rows that repeat samples are cut off, so summed over ranks every sample of the
    /// split is scored exactly once.
    public func forEachEvalBatch(split which: Split, rank: Int, worldSize: Int, batchSize: Int,
                                 _ body: (Tensor, [Int32]) throws -> Void) throws {
        let key = "\(which.rawValue)/\(batchSize)"
        if evalLoaders[key] == nil {
            let (set, indices): (ImageDataset, [Int]) = switch which {
            case .train: (trainSet, split.train)
            case .validation: (trainSet, split.validation)
            case .test: (testSet, Array(0..<testSet.count))
            }
            let sampler = DistributedSampler(indices: indices, worldSize: worldSize, rank: rank, seed: seed,
                                             shuffle: false, dropLast: false)
            evalLoaders[key] = try DataLoader(dataset: set, sampler: sampler, batchSize: batchSize,
                                              normalization: normalization, dropLastBatch: false, layout: layout)
        }
        let loader = evalLoaders[key]!
        for k in 0..<loader.batchCount {
            let batch = loader.batch(k, epoch: 0)
            guard batch.realCount > 0 else { continue }
            if batch.realCount == batch.count {
                try body(batch.inputs, batch.labels)
            } else {
                let rows = Tensor(shape: [batch.realCount] + batch.inputs.shape.dropFirst(), storage: batch.inputs.storage)
                try body(rows, Array(batch.labels.prefix(batch.realCount)))
            }
        }
    }
}
