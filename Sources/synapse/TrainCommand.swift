import ArgumentParser
import Foundation
import SynapseMPI
import SynapseTrain

/// `synapse train CONFIG`: trains the model a config describes.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a YAML config (alone, or on every rank under mpirun).",
        discussion: """
        Writes RUN_DIR/config.yaml (the resolved config), RUN_DIR/metrics.jsonl and metrics.csv,
        and checkpoints under RUN_DIR/checkpoints/ (step-NNNNNNNN/, with `latest` pointing at the
        newest complete one). Training always ends with a checkpoint.
        On SIGTERM, SIGUSR1, SIGINT (Ctrl-C) or SIGHUP every rank stops at the same step, a
        checkpoint is written, and the exit status is 75: run the same command with --resume auto
        to continue exactly. A second Ctrl-C quits at once without a checkpoint (exit status 130).
        One run at a time per run directory: a second one is refused (exit status 2) while the
        first holds RUN_DIR/.lock. Nothing is written before every check has passed.
        """)

    @Argument(help: "Path to the YAML config, e.g. configs/fashion-mlp.yaml.")
    var config: String

    @Option(name: .long, help: "Run directory (default: runs/<name from the config>).")
    var runDir: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a config value, e.g. --set train.epochs=3 --set optimizer.lr=0.1 (repeatable).",
                               valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("Continue from a checkpoint: 'auto' (RUN_DIR/checkpoints/latest if it exists) or a checkpoint path.",
                                            valueName: "auto|PATH"))
    var resume: String?

    @Option(name: .long, help: "OpenBLAS threads per rank (overrides train.threads).")
    var threads: Int?

    /// Test aid for the end-to-end distributed tests (see `FaultInjection`); hidden from --help.
    @Option(name: .customLong("inject-nan"),
            help: ArgumentHelp("Testing only: rank RANK reports a NaN loss at step STEP (1-based).",
                               valueName: "STEP:RANK", visibility: .hidden))
    var injectNaN: String?

    func validate() throws {
        if let injectNaN, FaultInjection(parsing: injectNaN) == nil {
            throw ValidationError("--inject-nan \(injectNaN): expected STEP:RANK with STEP ≥ 1 and RANK ≥ 0, e.g. 12:1")
        }
    }

    func run() throws {
        // Catch SIGTERM/SIGUSR1/SIGINT/SIGHUP before anything slow (MPI start-up, data loading): a signal
        // that arrives early must still mean "stop and checkpoint", not "die".
        let stopSignal = StopSignal()
        var all = overrides
        if let threads { all.append("train.threads=\(threads)") }
        let session = try TrainingSession(configPath: config, overrides: all, runDirectory: runDir,
                                          resume: resume, comm: try Runtime.communicator(), stopSignal: stopSignal,
                                          faultInjection: injectNaN.flatMap(FaultInjection.init(parsing:)))
        Runtime.configureThreads(session.config.train.threads, ranks: session.comm.size, rank: session.comm.rank)
        // The watchdog from the first step on: start-up (data loading, which may take one rank
        // longer than another) waits as long as it takes.
        (session.comm as? MPICommunicator)?.collectiveTimeout = session.config.train.collectiveTimeout
        let summary = try session.run()
        if summary.stoppedBySignal {
            throw ExitCode(ExitStatus.stoppedCheckpointSaved.rawValue)
        }
    }
}
