import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse predict CHECKPOINT`: the model's top classes for chosen images, with the images.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Show what a trained model predicts for chosen images of a split.",
        discussion: """
        CHECKPOINT is a checkpoint directory, its `latest` link, or a run directory. For each \
        chosen sample it prints the true label, the model's most probable classes with their \
        probabilities, and the image drawn in characters. Choose samples with --samples \
        (positions in the split), --first N (default 5), or --misclassified N (the first N the \
        model gets wrong: what does it confuse?). Runs in one process (no mpirun needed).

        --json prints one JSON object per line instead, for programs: {"index", "label", \
        "predicted", "logits", "probabilities"} for each chosen sample (all classes, in class \
        order). A text model predicts the next token at every position of a validation window \
        of data.context tokens (--split val, the default for text; choose windows with --first \
        or --samples): it prints one line per position, with "position" (in the window) and \
        "token" (the id read there) added and "label" the token that follows. Without --json a \
        text model is refused (use synapse generate to see what it writes).
        """)

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    @Option(name: .long, help: "Which split: test, val or train (default: test; val for text models).")
    var split: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Positions in the split, e.g. --samples 0 7 42.")
    var samples: [Int] = []

    @Option(name: .long, help: "Show the first N samples of the split.")
    var first: Int?

    @Option(name: .long, help: "Show the first N samples the model gets wrong.")
    var misclassified: Int?

    @Option(name: .long, help: "How many of the most probable classes to list.")
    var top: Int = 3

    @Flag(name: .long, help: "Do not draw the images.")
    var noImages = false

    @Option(name: .long, help: "Override the data directory stored in the checkpoint's config.")
    var dataPath: String?

    @Flag(name: .long, help: "Print one JSON object per line with every class's logit and probability.")
    var json = false

    func validate() throws {
        let chosen = [!samples.isEmpty, first != nil, misclassified != nil].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose samples one way: --samples, --first or --misclassified") }
    }

    func run() throws {
        if let split, TrainingData.Split(rawValue: split) == nil {
            throw UserError("--split \(split): unknown split; use test, val or train")
        }
        let selection: Predictions.Selection = !samples.isEmpty ? .positions(samples)
            : misclassified.map { .misclassified($0) } ?? .first(first ?? 5)
        let trainer = try Predictions.model(from: checkpoint, dataPath: dataPath)
        let text = trainer.config.data.dataset == .text
        guard json || !text else {
            throw UserError("predict shows the classes an image model gives its images; this is a text model: use "
                            + "synapse generate to sample text from it, or predict --json for its logits at every position "
                            + "of validation windows")
        }
        let which = TrainingData.Split(rawValue: split ?? (text ? "val" : "test"))!
        let predictions = try Predictions.predict(trainer, split: which, selection: selection, top: json ? 1 : top)
        if json {
            for p in predictions { print(Self.jsonLine(p)) }
            return
        }
        let names = trainer.data.classNames
        func name(_ c: Int) -> String { c < names.count ? names[c] : "class \(c)" }
        for p in predictions {
            let ranked = p.top.map { String(format: "%@ %.1f %%", name($0.class) as NSString, 100 * $0.probability) }
            print("\(which.rawValue) #\(p.position): label \(name(p.label)) — predicted \(ranked.joined(separator: ", "))  "
                  + (p.isCorrect ? "✓" : "✗"))
            if !noImages {
                let sample = trainer.data.rawSample(which, position: p.position)
                for line in Predictions.drawing(of: sample.pixels, shape: trainer.data.imageShape) { print("    " + line) }
            }
        }
        let correct = predictions.filter(\.isCorrect).count
        if case .misclassified(let n) = selection, predictions.count < n {
            print("only \(predictions.count) of the \(trainer.data.count(of: which)) \(which.rawValue) samples are misclassified")
        } else {
            print("\(predictions.count) sample\(predictions.count == 1 ? "" : "s"), \(correct) predicted correctly")
        }
    }

    /// One prediction as a JSON object on one line, keys in a fixed order; floats in their
    /// shortest form that reads back as the same Float.
    static func jsonLine(_ p: Predictions.Prediction) -> String {
        func list(_ values: [Float]) -> String {
            "[" + values.map { $0.isFinite ? $0.description : "null" }.joined(separator: ",") + "]"
        }
        var fields = ["\"index\":\(p.position)"]
        if let offset = p.offset { fields.append("\"position\":\(offset)") }
        if let token = p.token { fields.append("\"token\":\(token)") }
        fields += ["\"label\":\(p.label)", "\"predicted\":\(p.predicted)", "\"logits\":" + list(p.logits),
                   "\"probabilities\":" + list(p.probabilities)]
        return "{" + fields.joined(separator: ",") + "}"
    }
}
