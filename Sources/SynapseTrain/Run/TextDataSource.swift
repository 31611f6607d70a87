import Foundation
import SynapseCore
import SynapseComm
import SynapseData

/// The text of a language-model run (`data.dataset: text`): the corpus, its tokenizer and the
/// split into a training part and a validation part at its end. Loaded once per process;
/// `TextDataSource` shards it.
public final class TextData {
    /// Where the text came from (a file, a directory, or the `fortunes` package).
    public let corpus: TextCorpus
    /// Characters ↔ token ids; saved with every checkpoint.
    public let tokenizer: CharacterTokenizer
    /// The token ids of the two parts.
    public let split: TextSplit

    /// Reads `config.data.path` (the `fortunes` directory means the Debian package's files,
    /// as the PyTorch peer reads them) and cuts it by `data.validation_fraction`.
    public init(config: Config) throws {
        let d = config.data
        corpus = d.path == DataConfig.Dataset.text.defaultPath ? try TextCorpus.fortunes() : try TextCorpus(contentsOf: d.path)
        tokenizer = CharacterTokenizer(corpus: corpus)
        split = try TextSplit(tokens: try tokenizer.encode(corpus.characters, source: corpus.path),
                              validationFraction: d.validationFraction, source: corpus.path)
    }

    /// The tokenizer as saved in checkpoints (`tokenizer.json`).
    public var tokenizerJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(tokenizer)) ?? Data()
    }
}

/// `DataSource` over text for one sharding: global batch k of the run is B windows of
/// `data.context` characters at offsets drawn from (seed, k), rank r taking rows r, r + S, …
/// (so a step sees the same windows on any number of ranks); validation is the whole
/// validation text in non-overlapping windows, window i on rank i mod S.
///
/// Training windows are drawn at random, so an "epoch" is a length, not a pass: the steps
/// that see as many characters as the training text has (⌊train / (B·T)⌋). Validation runs
/// at each epoch's end, as for images.
public final class TextDataSource: DataSource {
    /// The text.
    public let data: TextData
    private let windows: TrainingWindows
    private let context: Int, rank: Int, worldSize: Int
    private var validation: [Int: ValidationWindows] = [:]

    /// Shards `data` for the ranks of `comm` at `train.batch_size` windows per step.
    public init(data: TextData, config: Config, comm: any Communicator) throws {
        try ImageDataSource.requireDivisibleBatch(config: config, comm: comm)
        self.data = data
        context = config.data.context
        rank = comm.rank
        worldSize = comm.size
        windows = try TrainingWindows(tokens: data.split.train, context: context, globalBatchSize: config.train.batchSize,
                                      worldSize: comm.size, rank: comm.rank, seed: config.train.seed, source: data.corpus.path)
        if !data.split.validation.isEmpty { _ = try validationWindows(batchSize: 1) }   // too short for one window: say so now
    }

    public var stepsPerEpoch: Int { max(1, data.split.train.count / (windows.globalBatchSize * context)) }

    public var predictionsPerStep: Int { windows.globalBatchSize * context }

    public var predictsCharacters: Bool { true }

    public var description: String {
        "\(data.split.train.count) characters of \(data.corpus.path) (val \(data.split.validation.count); "
            + "vocabulary \(data.tokenizer.count), context \(context))"
    }

    /// Training: the characters; validation: the windows scored; test: none.
    public func count(of split: EvaluationSplit) -> Int {
        switch split {
        case .train: data.split.train.count
        case .validation: data.split.validation.isEmpty ? 0 : (data.split.validation.count - 1) / context
        case .test: 0
        }
    }

    /// - Shape: inputs [B/S, T] token ids, targets [B/S · T].
    public func trainBatch(epoch: Int, index: Int) throws -> TrainingBatch {
        let batch = windows.batch(step: epoch * stepsPerEpoch + index)
        return TrainingBatch(inputs: batch.inputs, targets: batch.targets)
    }

    public func forEachEvalBatch(split: EvaluationSplit, batchSize: Int, _ body: (TrainingBatch) throws -> Void) throws {
        guard split == .validation, !data.split.validation.isEmpty else {
            throw UserError("a text run has no \(split.rawValue) split to score: it has a training and a validation part "
                            + "(data.validation_fraction); use the val split")
        }
        let windows = try validationWindows(batchSize: batchSize)
        for k in 0..<windows.batchCount {
            let batch = windows.batch(k)
            try body(TrainingBatch(inputs: batch.inputs, targets: batch.targets))
        }
    }

    private func validationWindows(batchSize: Int) throws -> ValidationWindows {
        if let cached = validation[batchSize] { return cached }
        let made = try ValidationWindows(tokens: data.split.validation, context: context, batchSize: batchSize,
                                         worldSize: worldSize, rank: rank, source: data.corpus.path)
        validation[batchSize] = made
        return made
    }
}
