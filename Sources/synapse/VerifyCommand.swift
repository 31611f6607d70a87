import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse verify CONFIG`: N ranks (under mpirun) train the same model as one rank.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that N ranks train the same model as one rank (run it under mpirun).",
        discussion: """
        Run as `launch/synapse-mpirun -n N .build/release/synapse verify CONFIG`. Every rank \
        trains the config's first --steps steps together, and after each step rank 0 takes the \
        same step alone, on the whole global batch, from the same initial weights, and compares \
        every parameter and batch norm buffer. They agree up to float summation order: the check passes when each \
        tensor's max |N ranks − 1 rank| ≤ tolerance × its max |value|. Dropout is switched off \
        and batch norm synchronized for the check (both differ across rank counts by design). \
        Differences stay at float rounding (~1e-7) for some steps, then a rounding-level \
        difference flips a ReLU or a max-pool choice and training amplifies it (batch norm CNNs: \
        after ~7–10 steps): the report shows the largest difference after every step. Nothing \
        is written. Exit status: 0 agree; 1 they do not (or training failed); 2 bad input.
        """)

    @Argument(help: "The training config (YAML) to check.")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config value, as for train.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Optimizer steps to train and compare (keep it small: see above).")
    var steps: Int = 5

    @Option(name: .long, help: "Largest relative difference allowed per tensor.")
    var tolerance: Float = 1e-4

    @Option(name: .long, help: "OpenBLAS threads per rank.")
    var threads: Int = 1

    func run() throws {
        let comm = try Runtime.communicator()
        Runtime.configureThreads(threads, ranks: comm.size, rank: comm.rank)
        let loaded = try ConfigLoader.load(path: config, overrides: overrides)
        let report = try DistributedVerification.run(config: loaded, steps: steps, tolerance: tolerance, comm: comm)
        if comm.isRoot { print(VerifyCommand.describe(report, config: config, globalBatch: loaded.train.batchSize)) }
        guard report.passed else {
            let message = "verify: \(report.ranks) ranks and 1 rank differ by more than the tolerance \(report.tolerance) "
                + "after \(report.steps) steps (see the table above); report it with the config, please"
            throw DistributedSync(comm: comm).agreed(TrainingFailure(message))
        }
    }

    static func describe(_ r: DistributedVerification.Report, config: String, globalBatch: Int) -> String {
        var lines = ["verify       \(r.ranks) rank\(r.ranks == 1 ? "" : "s") against 1 rank, \(r.steps) steps of \(config) "
                     + "(global batch \(globalBatch))"]
        for (i, note) in r.adjustments.enumerated() { lines.append((i == 0 ? "adjusted     " : "             ") + note) }
        lines.append(String(format: "final loss   %.6f (%d ranks), %.6f (1 rank)", r.finalLoss.distributed, r.ranks, r.finalLoss.single))
        let width = max(4, r.tensors.map(\.name.count).max() ?? 4)
        lines.append("  " + "tensor".padding(toLength: width, withPad: " ", startingAt: 0) + "   max |Δ|   max |1 rank|   relative")
        for t in r.tensors {
            lines.append("  " + t.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "  %9.2e  %13.4g  %9.2e%@", t.maxDifference, t.scale, t.relative,
                                  t.relative > r.tolerance ? "  > tolerance" : ""))
        }
        if !r.worstPerStep.isEmpty {
            lines.append("per step     " + r.worstPerStep.enumerated().map { String(format: "%d: %.1e", $0.offset + 1, $0.element) }
                                             .joined(separator: "  "))
        }
        if let worst = r.worst {
            lines.append(String(format: "largest      %.2e relative (%@), tolerance %.0e", worst.relative, worst.name, r.tolerance))
        }
        if r.ranks == 1 {
            lines.append("note         one rank compares a run with itself; start it under mpirun -np N to check N ranks")
        }
        lines.append(r.passed ? "PASS: \(r.ranks) rank\(r.ranks == 1 ? "" : "s") train the same model as 1 rank, up to float summation order"
                              : "FAIL")
        return lines.joined(separator: "\n")
    }
}
