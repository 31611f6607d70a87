import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// The uninterrupted reference for the resume tests: 10 epochs of 78 steps with a checkpoint
/// every 50 steps (all kept), run once on first use.
struct ReferenceRun: Sendable {
    static let epochs = 10, stepsPerEpoch = 78
    static let steps = epochs * stepsPerEpoch

    /// Arguments after `train CONFIG`, identical for the reference and the resumed runs.
    /// Dropout (0.1 in the config) is on, so the resumed runs must also reproduce its masks.
    static let arguments = SynapseCLI.subset + ["--set", "train.epochs=\(epochs)", "--set", "train.checkpoint_every=50",
                                                "--set", "train.keep_checkpoints=100"]

    /// The run directory.
    let directory: String
    /// What `synapse train` did.
    let result: ProcessResult

    static let shared = Result { try ReferenceRun() }

    private init() throws {
        directory = try TestDirectory("reference-run").file("run")
        result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", directory] + ReferenceRun.arguments)
    }

    /// The finished run, after checking that it exited 0.
    static func finished() throws -> ReferenceRun {
        let run = try shared.get()
        try #require(run.result.status == 0, "\(run.result.report)")
        return run
    }

    /// `model.safetensors` (or another file) of the final checkpoint.
    func final(_ file: String = "model.safetensors") -> String {
        directory + "/checkpoints/" + CheckpointStore.directoryName(step: ReferenceRun.steps) + "/" + file
    }
}

/// Resuming is exact: a run continued from a checkpoint (copied from the reference run, or
/// written when SIGUSR1 stopped it) ends with the same parameter bits, optimizer state and
/// metrics as the run that never stopped.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIResumeTests {
    /// Expects the final checkpoint of `runDirectory` to equal the reference run's, bit for bit.
    private func expectSameFinalState(as reference: ReferenceRun, in runDirectory: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let latest = runDirectory + "/checkpoints/latest/"
        for file in ["model.safetensors", "optimizer.safetensors"] {
            let got = try tensorBits(latest + file), want = try tensorBits(reference.final(file))
            #expect(got.keys.sorted() == want.keys.sorted(), "\(file)", sourceLocation: sourceLocation)
            let differing = want.keys.sorted().filter { got[$0] != want[$0] }
            #expect(differing.isEmpty, "\(file): tensors differ from the uninterrupted run: \(differing)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Expects the metrics rows after `step` to equal the reference run's (step, epoch,
    /// split, loss, accuracy; not the timings).
    private func expectSameMetrics(as reference: ReferenceRun, in runDirectory: String, after step: Int,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        func key(_ row: [String: Any]) -> String {
            ["step", "epoch", "split", "loss", "accuracy"].map { "\(row[$0] ?? "-")" }.joined(separator: " ")
        }
        let want = try metricsRows(in: reference.directory).filter { ($0["step"] as? Int ?? 0) > step }.map(key)
        let got = try metricsRows(in: runDirectory).filter { ($0["step"] as? Int ?? 0) > step }.map(key)
        #expect(got == want, sourceLocation: sourceLocation)
    }

    @Test func resumeFromAMidEpochCheckpointIsBitExact() throws {
        let reference = try ReferenceRun.finished()
        let dir = try TestDirectory("resume-copy")
        defer { dir.remove() }
        // Step 100 is batch 22 of epoch 2: the sampler must continue mid-permutation.
        let step = 100
        let name = CheckpointStore.directoryName(step: step)
        let runDir = dir.file("run")
        try FileManager.default.createDirectory(atPath: runDir + "/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: reference.directory + "/checkpoints/" + name,
                                         toPath: runDir + "/checkpoints/" + name)
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDir,
                                         "--resume", runDir + "/checkpoints/" + name] + ReferenceRun.arguments)
        try #require(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("resumed at step \(step) (epoch 2, batch 22)"), "\(result.report)")
        try expectSameFinalState(as: reference, in: runDir)
        try expectSameMetrics(as: reference, in: runDir, after: step)
    }

    @Test func sigusr1StopsWithACheckpointAndResumeAutoFinishesBitExact() throws {
        let reference = try ReferenceRun.finished()
        let dir = try TestDirectory("resume-signal")
        defer { dir.remove() }
        let runDir = dir.file("run")
        let arguments = ["train", SynapseCLI.fashionConfig, "--run-dir", runDir] + ReferenceRun.arguments

        // Signal once training is under way (its first checkpoint, at step 50, exists): before
        // that the handler may not be installed yet, and the default action of SIGUSR1 is to die.
        let first = try SynapseCLI.start(arguments)
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && Date() < deadline
                && !FileManager.default.fileExists(atPath: runDir + "/checkpoints/latest") {
            Thread.sleep(forTimeInterval: 0.005)
        }
        first.send(signal: SIGUSR1)
        let stopped = first.wait(timeout: 60)
        try #require(stopped.status == 75, "expected exit status 75 (stopped, checkpoint saved)\n\(stopped.report)")
        #expect(stopped.stdout.contains("resume with --resume auto"), "\(stopped.report)")
        let loaded = try CheckpointStore.load(path: runDir + "/checkpoints/latest")
        #expect(loaded.state.step >= 50 && loaded.state.step < ReferenceRun.steps,
                "stopped at step \(loaded.state.step)\n\(stopped.report)")
        let stoppedRows = try metricsRows(in: runDir)
        #expect(!stoppedRows.contains { $0["split"] as? String == "test" }, "a stopped run has no test row")

        let resumed = try SynapseCLI.run(arguments + ["--resume", "auto"])
        try #require(resumed.status == 0, "\(resumed.report)")
        #expect(resumed.stdout.contains("resumed at step \(loaded.state.step)"), "\(resumed.report)")
        try expectSameFinalState(as: reference, in: runDir)
        let test = { (rows: [[String: Any]]) in rows.last { $0["split"] as? String == "test" }.map { "\($0["loss"] ?? "") \($0["accuracy"] ?? "")" } }
        #expect(try test(metricsRows(in: runDir)) == test(metricsRows(in: reference.directory)))
    }

    @Test func resumeAutoWithoutACheckpointStartsFresh() throws {
        let dir = try TestDirectory("resume-auto-fresh")
        defer { dir.remove() }
        let runDir = dir.file("run")
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDir, "--resume", "auto"]
                                        + SynapseCLI.subset + ["--set", "train.epochs=0", "--set", "train.max_steps=5"])
        try #require(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("no checkpoint"), "\(result.report)")
        #expect(try CheckpointStore.load(path: runDir).state.step == 5)
    }
}
