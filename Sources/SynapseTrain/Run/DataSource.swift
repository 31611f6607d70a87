import Foundation
import SynapseComm
import SynapseCore

/// The split an evaluation scores.
public enum EvaluationSplit: String, Sendable {
    case train, validation = "val", test
}

/// The predictions a bits-per-character figure is about.
public enum PredictionSpan: Sendable, Equatable {
    /// The global batches of these training steps (0-based: step s trains on global batch s).
    case trainingSteps(Range<Int>)
    /// A whole evaluation split, every prediction `forEachEvalBatch` scores, on all ranks.
    case evaluation(EvaluationSplit)
}

extension DataSource {
    /// Image data: not text.
    public var predictsText: Bool { false }

    /// Image data: no bits per character.
    public func charactersPerPrediction(_ span: PredictionSpan) -> Double? { nil }

    /// `nats` per prediction over `span` in bits per character: the span's total nats divided
    /// by the characters its predicted tokens complete, over ln 2 (`nats / ln 2` for a
    /// character tokenizer); nil when the source does not predict text.
    public func bitsPerCharacter(_ nats: Double, over span: PredictionSpan) -> Double? {
        charactersPerPrediction(span).map { nats / $0 / log(2) }
    }

    /// What one prediction is, for throughput figures.
    public var unit: String { predictsText ? "tokens" : "samples" }
}

/// One batch as the model and the loss see it, whatever the data: the model's input and
/// the targets its output is compared with.
///
/// - Images: inputs [B, C, H, W] (convolutional models) or [B, features], targets the class
///   labels [B].
/// - Text: inputs the token ids [B, T] (exact integers in a Float tensor), targets the next
///   token at every position [B·T], row-major.
public struct TrainingBatch {
    /// The model's input. - Shape: see above.
    public var inputs: Tensor
    /// What the output should predict: a class per sample or a token per position.
    public var targets: [Int32]
    /// The dataset index of each row, for per-sample lookups (distillation teachers); empty
    /// where rows are not dataset samples (text windows).
    public var samples: ArraySlice<Int>

    /// Creates a batch.
    public init(inputs: Tensor, targets: [Int32], samples: ArraySlice<Int> = []) {
        self.inputs = inputs
        self.targets = targets
        self.samples = samples
    }
}

/// Where one rank's batches come from: this rank's share of global batch k of epoch e for
/// training, and this rank's share of an evaluation split. The global batch, the rank and
/// the number of ranks are fixed when a source is made, once per run.
///
/// Rules it keeps (DESIGN.md 1, 3 and 9): every rank runs the same number of steps per
/// epoch; global batch k holds the same samples on any number of ranks; summed over ranks,
/// an evaluation scores every sample of a split exactly once.
public protocol DataSource: AnyObject {
    /// Optimizer steps in one epoch.
    var stepsPerEpoch: Int { get }
    /// Predictions (samples, or tokens) in one global batch.
    var predictionsPerStep: Int { get }
    /// What the run trains on, for the plan line ("55000 samples (val 5000, test 10000)").
    var description: String { get }
    /// Whether each prediction is the next token of a text: the loss is then reported in
    /// bits per character too (`charactersPerPrediction`), and throughput in tokens/s.
    var predictsText: Bool { get }
    /// The mean number of characters a prediction of `span` completes, for a text (exactly 1
    /// for a character tokenizer; see `TokenCharacterCounts`); nil for other data.
    func charactersPerPrediction(_ span: PredictionSpan) -> Double?
    /// Samples (or windows) in `split`, over all ranks.
    func count(of split: EvaluationSplit) -> Int
    /// This rank's share of global batch `index` of `epoch`. Its buffers may be reused by the
    /// next call.
    func trainBatch(epoch: Int, index: Int) throws -> TrainingBatch
    /// Calls `body` with each of this rank's evaluation batches of `split`, in a fixed order,
    /// each of at most `batchSize` rows.
    func forEachEvalBatch(split: EvaluationSplit, batchSize: Int, _ body: (TrainingBatch) throws -> Void) throws
}

/// The data a config names, sharded for the ranks of a communicator, and what the model
/// reads from it: images (`ImageDataSource`) or text (`TextDataSource`).
public struct RunData {
    /// This rank's batches.
    public let source: any DataSource
    /// One sample's shape ([C, H, W]), or `[]` for token ids.
    public let inputShape: [Int]
    /// Classes, or the vocabulary's size.
    public let classCount: Int
    /// Bytes of the data held in memory (pixels and labels of every split; a text's
    /// characters and token ids), for the memory estimate.
    public let dataBytes: Int

    /// Loads the data of `config` (or uses `images`, already loaded) and shards it for `comm`,
    /// checking rule 1 before anything is read.
    public init(config: Config, comm: any Communicator, images: TrainingData? = nil) throws {
        try ImageDataSource.requireDivisibleBatch(config: config, comm: comm)
        if config.data.dataset == .text {
            let text = try TextData(config: config)
            (source, inputShape, classCount) = (try TextDataSource(data: text, config: config, comm: comm), [], text.tokenizer.count)
            dataBytes = 4 * (text.corpus.count + text.split.train.count + text.split.validation.count)
        } else {
            let data = try images ?? TrainingData(config: config)
            (source, inputShape, classCount) = (try ImageDataSource(data: data, config: config, comm: comm), data.imageShape, data.classCount)
            dataBytes = (data.trainCount + data.valCount + data.testCount) * (data.inputFeatures + 4)
        }
    }

    /// A replica of the model `config` describes for this data.
    public func replica(_ config: Config, comm: any Communicator, stopSignal: StopSignal = StopSignal(signals: [])) throws -> Replica {
        try Replica(config: config, inputShape: inputShape, classCount: classCount,
                    totalSteps: config.train.totalSteps(stepsPerEpoch: source.stepsPerEpoch), comm: comm, stopSignal: stopSignal)
    }
}
