import Foundation
import SynapseComm
import SynapseCore

/// `synapse predict`: what a trained model says about individual images — its top classes
/// with their probabilities next to the true label, and the image itself drawn in characters,
/// so a learner can see what the model gets right and what it confuses.
public enum Predictions {
    /// Which samples to show.
    public enum Selection: Sendable, Equatable {
        /// These positions of the split.
        case positions([Int])
        /// The first `n` samples of the split.
        case first(Int)
        /// The first `n` samples the model gets wrong.
        case misclassified(Int)
    }

    /// A class and the probability the model gives it.
    public struct Ranked: Sendable, Equatable {
        /// The class index.
        public var `class`: Int
        /// The model's probability for it, in [0, 1].
        public var probability: Float
    }

    /// One prediction: of an image's class, or of a text window's next token at one position.
    public struct Prediction: Sendable, Equatable {
        /// Position in the split: the image, or the validation window of a text model.
        public var position: Int
        /// Text models: the position in the window (0..<T) whose next token this predicts; nil for images.
        public var offset: Int?
        /// Text models: the token id the model reads at `offset`; nil for images.
        public var token: Int?
        /// True class (the next token, for text).
        public var label: Int
        /// The model's output for this sample, one value per class.
        public var logits: [Float]
        /// softmax(logits).
        public var probabilities: [Float]
        /// The most probable classes, most probable first; `top` entries.
        public var top: [Ranked]
        /// The most probable class (the lowest index among ties).
        public var predicted: Int { top[0].class }
        /// Whether the most probable class is the true one.
        public var isCorrect: Bool { predicted == label }
    }

    /// The model of the run that wrote `checkpoint` (a checkpoint directory, its `latest`
    /// link or a run directory), holding the saved weights, on this process alone;
    /// `dataPath` overrides where its config says the data files are.
    /// - Throws: `CheckpointError` / `UserError` for a missing, corrupt or foreign checkpoint.
    public static func model(from checkpoint: String, dataPath: String?) throws -> TrainedModel {
        let loaded = try CheckpointStore.load(path: checkpoint)
        return try TrainedModel(loaded, overrides: dataPath.map { ["data.path=\($0)"] } ?? [], comm: LocalCommunicator())
    }

    /// Scores `split` with the model's evaluated weights (the moving average if the run kept
    /// one) in evaluation mode, and returns the selected samples' predictions, in split order.
    /// For a text model a sample is a validation window of `data.context` tokens, and it gives
    /// one prediction per position (what follows each token), so `.first(2)` returns 2·T.
    /// Runs on this process alone (no collectives).
    /// - Throws: `UserError` for a position outside the split, a count below 1, or
    ///   `.misclassified` on a text model.
    public static func predict(_ trained: TrainedModel, split: EvaluationSplit, selection: Selection,
                               top: Int) throws -> [Prediction] {
        let text = !(trained.source is ImageDataSource)
        try trained.requireSamples(in: split, checkpoint: trained.config.name)
        let count = trained.source.count(of: split)
        let unit = text ? "window" : "sample"
        let wanted: Set<Int>
        var limit = Int.max, onlyWrong = false
        switch selection {
        case .positions(let positions):
            guard !positions.isEmpty else { throw UserError("predict: give at least one \(unit) position") }
            if let bad = positions.first(where: { !(0..<count).contains($0) }) {
                throw UserError("predict: \(unit) \(bad) is outside the \(split.rawValue) split, which has \(unit)s 0…\(count - 1)")
            }
            wanted = Set(positions)
        case .first(let n):
            guard n >= 1 else { throw UserError("predict: --first must be at least 1, got \(n)") }
            wanted = Set(0..<min(n, count))
        case .misclassified(let n):
            guard !text else {
                throw UserError("predict: --misclassified picks images the model gets wrong; a text model predicts every "
                                + "position of a window: choose windows with --first N or --samples I ...")
            }
            guard n >= 1 else { throw UserError("predict: --misclassified must be at least 1, got \(n)") }
            wanted = Set(0..<count)
            limit = n
            onlyWrong = true
        }
        guard top >= 1 else { throw UserError("predict: --top must be at least 1, got \(top)") }
        let last = wanted.max() ?? -1
        var out: [Prediction] = []
        var position = 0
        let model = trained.replica.model
        model.eval()
        try trained.replica.withEvaluatedWeights {
            try noGrad {
                try trained.source.forEachEvalBatch(split: split, batchSize: trained.config.train.evalBatchSize) { batch in
                    guard position <= last && out.count < limit else { return }
                    let logits = model(batch.inputs)                      // [samples, classes] or [windows·T, V]
                    let probabilities = softmax(logits)
                    let classes = logits.shape[1]
                    let samples = batch.inputs.shape[0], T = text ? batch.inputs.shape[1] : 1
                    for sample in 0..<samples {
                        defer { position += 1 }
                        guard wanted.contains(position) && out.count < limit else { continue }
                        for t in 0..<T {
                            let row = sample * T + t
                            let p = UnsafeBufferPointer(start: probabilities.pointer + row * classes, count: classes)
                            let ranked = (0..<classes).sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
                            let prediction = Prediction(
                                position: position, offset: text ? t : nil, token: text ? Int(batch.inputs.pointer[row]) : nil,
                                label: Int(batch.targets[row]),
                                logits: Array(UnsafeBufferPointer(start: logits.pointer + row * classes, count: classes)),
                                probabilities: Array(p), top: ranked.prefix(top).map { Ranked(class: $0, probability: p[$0]) })
                            if !onlyWrong || !prediction.isCorrect { out.append(prediction) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// An image drawn with one character per pixel, darkest to brightest " .:-=+*#%@" (the mean
    /// over channels for colour images): one line per row.
    public static func drawing(of pixels: ArraySlice<UInt8>, shape: [Int]) -> [String] {
        let ramp = Array(" .:-=+*#%@")
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let base = pixels.startIndex
        return (0..<h).map { y in
            String((0..<w).map { x in
                var sum = 0
                for k in 0..<c { sum += Int(pixels[base + (k * h + y) * w + x]) }
                return ramp[min(ramp.count - 1, sum / c * ramp.count / 256)]
            })
        }
    }
}
