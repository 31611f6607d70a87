import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse inspect CHECKPOINT`: verifies a checkpoint and describes what it holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Verify a checkpoint and list what it holds.",
        discussion: """
        CHECKPOINT is a checkpoint directory (step-NNNNNNNN), its `latest` link, or a run \
        directory (its latest checkpoint). Checks every file against the sizes and CRC-32s in \
        state.json, then prints where training stood (step, epoch, ranks, seed), the run's \
        model and recipe, every tensor with its shape and value statistics (a NaN or ∞ shows \
        in the non-finite column), and whether the run's other checkpoints verify. A checkpoint \
        that fails a check is reported with exit status 2.
        """)

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    func run() throws {
        let loaded = try CheckpointStore.load(path: checkpoint)
        print(try CheckpointReport.text(for: loaded))
    }
}
