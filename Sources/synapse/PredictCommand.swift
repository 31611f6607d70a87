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
        """)

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    @Option(name: .long, help: "Which split: test, val or train.")
    var split: String = "test"

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

    func validate() throws {
        let chosen = [!samples.isEmpty, first != nil, misclassified != nil].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose samples one way: --samples, --first or --misclassified") }
    }

    func run() throws {
        guard let which = TrainingData.Split(rawValue: split) else {
            throw UserError("--split \(split): unknown split; use test, val or train")
        }
        let selection: Predictions.Selection = !samples.isEmpty ? .positions(samples)
            : misclassified.map { .misclassified($0) } ?? .first(first ?? 5)
        let trainer = try Predictions.model(from: checkpoint, dataPath: dataPath)
        let predictions = try Predictions.predict(trainer, split: which, selection: selection, top: top)
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
}
