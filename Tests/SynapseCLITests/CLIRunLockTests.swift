import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// One run per run directory, and nothing written before every check has passed: a second
/// `synapse train` on a directory in use is refused (exit 2, naming the holder's pid), the
/// first one finishes untouched, and a refused start (a resume that cannot be restored, an
/// empty --run-dir, a missing validation split) leaves no files behind.
@Suite(.serialized,
       .enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIRunLockTests {
    @Test func aSecondRunOnTheSameDirectoryIsRefusedAndTheFirstFinishes() throws {
        let dir = try TestDirectory("run-lock")
        defer { dir.remove() }
        let run = dir.file("run")
        let arguments = ["train", SmallRun.config, "--run-dir", run, "--set", "train.checkpoint_every=50"]
        let first = try DistributedJob(ranks: nil, arguments + ["--set", "train.max_steps=300"])
        // Once the first run has the lock (its pid is in the lock file), freeze it there, so the
        // second certainly starts while the first is alive; a stopped process keeps its lock.
        let lockFile = run + "/" + RunDirectoryLock.fileName
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && Date() < deadline
                && !((try? String(contentsOfFile: lockFile, encoding: .utf8))?.contains("pid \(first.pid)") ?? false) {
            Thread.sleep(forTimeInterval: 0.002)
        }
        try #require(first.isRunning, "the first run ended before the test could hold it\n\(first.output)")
        first.send(SIGSTOP)
        let second = try SynapseCLI.run(arguments + ["--set", "train.max_steps=300"], timeout: 60)
        first.send(SIGCONT)
        expectUserError(second, mentions: ["\(run) is in use by another synapse train", "pid \(first.pid) on host",
                                           "--run-dir"])

        let finished = first.wait(timeout: 120)
        #expect(finished.status == 0, "\(finished.output)")
        #expect(try CheckpointStore.load(path: run).state.step == 300)
        let rows = try metricsRows(in: run)
        #expect(rows.filter { $0["split"] as? String == "test" }.count == 1, "one test row, from the first run only")

        // The lock died with its holder: the file is still there, and a resume takes it.
        #expect(FileManager.default.fileExists(atPath: lockFile))
        let third = try SynapseCLI.run(arguments + ["--set", "train.max_steps=320", "--resume", "auto"])
        #expect(third.status == 0, "\(third.report)")
        #expect(third.stdout.contains("resumed at step 300"), "\(third.report)")
        #expect(try CheckpointStore.load(path: run).state.step == 320)
    }

    @Test func aRefusedResumeIntoANewDirectoryWritesNothing() throws {
        let dir = try TestDirectory("refused-resume")
        defer { dir.remove() }
        let run = dir.file("run")
        try SmallRun.train(run)
        let checkpoint = try SmallRun.latest(run)
        // The checkpoint verifies, but it holds a 64-32 model and the config now asks for
        // 64-16: the restore refuses it, and that restore now comes before the first write.
        let target = dir.file("resumed")
        let other = ["--set", "model.hidden=[64, 16]", "--resume", checkpoint]
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", target, "--set", "train.max_steps=10"] + other),
                        mentions: ["shapes differ from the model's", checkpoint])
        #expect(!FileManager.default.fileExists(atPath: target), "the refused resume created \(target)")
        // The same into an existing empty directory: it stays empty (no config.yaml, no .lock).
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", target] + other),
                        mentions: ["shapes differ from the model's"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    }

    @Test func anEmptyRunDirectoryIsRefused() throws {
        let dir = try TestDirectory("empty-run-dir")
        defer { dir.remove() }
        for empty in ["", " "] {
            let result = try ProcessRunner.run(try #require(SynapseCLI.binary),
                                               ["train", SmallRun.config, "--run-dir", empty, "--set", "train.max_steps=2"],
                                               currentDirectory: URL(fileURLWithPath: dir.path), timeout: 60)
            expectUserError(result, mentions: ["--run-dir is empty", "current directory"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty,
                    "--run-dir '\(empty)' wrote into the current directory")
        }
        expectUserError(try SynapseCLI.run(["eval", ""]), mentions: ["checkpoint path is empty"])
        expectUserError(try SynapseCLI.run(["plot", ""]), mentions: ["RUN_DIR is empty"])
    }

    @Test func evaluatingAMissingValidationSplitIsAnError() throws {
        let dir = try TestDirectory("no-val")
        defer { dir.remove() }
        let run = dir.file("run")
        try SmallRun.train(run, ["--set", "data.validation_size=0"])
        expectUserError(try SynapseCLI.run(["eval", run, "--split", "val"]),
                        mentions: ["has no validation split", "data.validation_size", "--split test"])
        expectUserError(try SynapseCLI.run(["predict", run, "--split", "val", "--first", "2"]),
                        mentions: ["has no validation split"])
        let test = try SynapseCLI.run(["eval", run])
        #expect(test.status == 0 && test.stdout.contains("(480 samples"), "\(test.report)")
    }
}
