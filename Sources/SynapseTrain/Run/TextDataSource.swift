import Foundation
import SynapseCore
import SynapseComm
import SynapseData

/// The text of a language-model run (`data.dataset: text`): the corpus, its tokenizer and the
/// split into a training part and a validation part at its end. Loaded once per process;
/// `TextDataSource` shards it.
///
/// Both tokenizers cut the text at the same character, `TextSplit.trainingCount` of the
/// corpus's characters, so they validate on the same text. The character vocabulary is the
/// whole corpus's (as the PyTorch peer builds it); byte-pair merges are learned from the
/// training part alone, then each part is encoded on its own.
public final class TextData {
    /// Where the text came from (a file, a directory, or the `fortunes` package).
    public let corpus: TextCorpus
    /// Text ↔ token ids; saved with every checkpoint.
    public let tokenizer: TextTokenizer
    /// The token ids of the two parts.
    public let split: TextSplit
    /// The characters each token of the two parts completes: bits per character divides by them.
    public let trainCharacters: TokenCharacterCounts, validationCharacters: TokenCharacterCounts
    /// Seconds spent learning byte-pair merges (0 for characters).
    public let learningSeconds: Double

    /// Reads `config.data.path` (the `fortunes` directory means the Debian package's files,
    /// as the PyTorch peer reads them), cuts it by `data.validation_fraction` and tokenizes it
    /// as `data.tokenizer` says.
    public init(config: Config) throws {
        let d = config.data
        let corpus = d.path == DataConfig.Dataset.text.defaultPath ? try TextCorpus.fortunes() : try TextCorpus(contentsOf: d.path)
        let tokenizer: TextTokenizer, split: TextSplit
        switch d.tokenizer {
        case .char:
            tokenizer = .characters(CharacterTokenizer(corpus: corpus))
            split = try TextSplit(tokens: try tokenizer.encode(corpus.characters, source: corpus.path),
                                  validationFraction: d.validationFraction, source: corpus.path)
            learningSeconds = 0
        case .bpe:
            let n = try TextSplit.trainingLength(corpus.count, validationFraction: d.validationFraction, source: corpus.path)
            let trainBytes = BytePairTokenizer.utf8(corpus.characters[..<n])
            let start = Date()
            let bytePairs = try BytePairTokenizer(learningFrom: trainBytes, vocabularySize: d.vocabSize)
            learningSeconds = Date().timeIntervalSince(start)
            tokenizer = .bytePairs(bytePairs)
            split = TextSplit(train: bytePairs.encode(bytes: trainBytes), validation: bytePairs.encode(corpus.characters[n...]),
                              validationFraction: d.validationFraction, source: corpus.path)
        }
        (self.corpus, self.tokenizer, self.split) = (corpus, tokenizer, split)
        trainCharacters = tokenizer.characterCounts(of: split.train)
        validationCharacters = tokenizer.characterCounts(of: split.validation)
    }

    /// The tokenizer as saved in checkpoints (`tokenizer.json`).
    public var tokenizerJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(tokenizer)) ?? Data()
    }
}

/// `DataSource` over text for one sharding: global batch k of the run is B windows of
/// `data.context` tokens at offsets drawn from (seed, k), rank r taking rows r, r + S, …
/// (so a step sees the same windows on any number of ranks); validation is the whole
/// validation text in non-overlapping windows, window i on rank i mod S.
///
/// Training windows are drawn at random, so an "epoch" is a length, not a pass: the steps
/// that see as many tokens as the training text has (⌊train / (B·T)⌋). Validation runs
/// at each epoch's end, as for images.
///
/// Bits per character: the nats of a span's predictions over the characters their target
/// tokens complete (`TokenCharacterCounts`), over ln 2. A window at offset o predicts tokens
/// o + 1 … o + T; validation predicts tokens 1 … n·T of its part.
public final class TextDataSource: DataSource {
    /// The text.
    public let data: TextData
    private let windows: TrainingWindows
    private let context: Int, rank: Int, worldSize: Int
    /// `data.vocab_size`: a short text may give fewer byte-pair tokens, which the plan line says.
    private let requestedVocabularySize: Int
    private var validation: [Int: ValidationWindows] = [:]

    /// Shards `data` for the ranks of `comm` at `train.batch_size` windows per step.
    public init(data: TextData, config: Config, comm: any Communicator) throws {
        try ImageDataSource.requireDivisibleBatch(config: config, comm: comm)
        self.data = data
        context = config.data.context
        requestedVocabularySize = config.data.vocabSize
        rank = comm.rank
        worldSize = comm.size
        windows = try TrainingWindows(tokens: data.split.train, context: context, globalBatchSize: config.train.batchSize,
                                      worldSize: comm.size, rank: comm.rank, seed: config.train.seed, source: data.corpus.path)
        if !data.split.validation.isEmpty { _ = try validationWindows(batchSize: 1) }   // too short for one window: say so now
    }

    /// Steps that cover the training text once: its tokens over (global windows per step × context).
    public var stepsPerEpoch: Int { max(1, data.split.train.count / (windows.globalBatchSize * context)) }

    /// Next-token predictions per global step: one per position of every window.
    public var predictionsPerStep: Int { windows.globalBatchSize * context }

    /// Text: losses are also reported in bits per character.
    public var predictsText: Bool { true }

    /// Characters per predicted token over `span` (1 for a character tokenizer), to turn nats per token into bits per character.
    public func charactersPerPrediction(_ span: PredictionSpan) -> Double? {
        if case .characters = data.tokenizer { return 1 }
        switch span {
        case .trainingSteps(let steps):
            guard !steps.isEmpty else { return nil }
            var characters = 0
            for step in steps {
                for o in windows.globalOffsets(step: step) { characters += data.trainCharacters.characters(in: (o + 1)..<(o + context + 1)) }
            }
            return Double(characters) / Double(steps.count * predictionsPerStep)
        case .evaluation(.validation):
            let predictions = count(of: .validation) * context
            guard predictions > 0 else { return nil }
            return Double(data.validationCharacters.characters(in: 1..<(predictions + 1))) / Double(predictions)
        case .evaluation:
            return nil
        }
    }

    /// The corpus, its split, the tokenizer and the context, in words.
    public var description: String {
        switch data.tokenizer {
        case .characters:
            return "\(data.split.train.count) characters of \(data.corpus.path) (val \(data.split.validation.count); "
                + "vocabulary \(data.tokenizer.count), context \(context))"
        case .bytePairs:
            let short = data.tokenizer.count < requestedVocabularySize
                ? ", fewer than data.vocab_size \(requestedVocabularySize): no pair of tokens occurs twice any more" : ""
            return "\(data.split.train.count) tokens (\(data.trainCharacters.total) characters) of \(data.corpus.path) "
                + "(val \(data.split.validation.count) tokens; vocabulary \(data.tokenizer.summary) learned in "
                + String(format: "%.1f s", data.learningSeconds) + short + ", context \(context) tokens)"
        }
    }

    /// Training: the tokens; validation: the windows scored; test: none.
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

    /// Calls `body` with this rank's validation windows, `batchSize` at a time (text has no test split).
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
