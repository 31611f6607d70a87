import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse eval CHECKPOINT`: scores a saved model on a split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test (or validation/train) split.",
        discussion: "CHECKPOINT is a checkpoint directory (step-NNNNNNNN), its `latest` link, or a run directory.")

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    @Option(name: .long, help: "Which split to score: test, val or train.")
    var split: String = "test"

    @Option(name: .long, help: "Override the data directory stored in the checkpoint's config.")
    var dataPath: String?

    func run() throws {
        let result = try TrainingSession.evaluate(checkpoint: checkpoint, split: split, dataPath: dataPath,
                                                  comm: try Runtime.communicator())
        if Runtime.rankIfStarted == 0 {
            print(result)
        }
    }
}
