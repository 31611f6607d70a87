import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Bad run directories and checkpoints: `--run-dir` that cannot be created, `--resume` of a
/// path that is not a checkpoint, `synapse eval` and `--resume` of a damaged checkpoint. Each
/// exits with status 2, names the path, and leaves no training record.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct CLICheckpointErrorTests {
    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func runDirectoryUnderARegularFileNamesTheFile() throws {
        // Tests may run as root, for whom permissions never fail: a path through a regular
        // file cannot be created by anyone.
        let dir = try TestDirectory("run-under-file")
        defer { dir.remove() }
        let blocker = try dir.write("not a directory\n", to: "blocker")
        let runDir = blocker + "/runs/x"
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDir]
                                        + SynapseCLI.subset + ["--set", "train.epochs=1"])
        expectUserError(result, mentions: [runDir, "\(blocker) is a file", "--run-dir"])
        #expect(try String(contentsOfFile: blocker, encoding: .utf8) == "not a directory\n")
        #expect(!result.stdout.contains("epoch 1"), "training must not start\n\(result.report)")
    }

    @Test func resumeFromAPathThatDoesNotExist() throws {
        let dir = try TestDirectory("resume-missing")
        defer { dir.remove() }
        let missing = dir.file("runs/old/checkpoints/step-00000100")
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", dir.file("run"),
                                         "--resume", missing])
        expectUserError(result, mentions: ["--resume \(missing)", "no such checkpoint", "'auto'"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run")))
    }

    @Test func resumeFromADirectoryWithoutCheckpoints() throws {
        let dir = try TestDirectory("resume-empty")
        defer { dir.remove() }
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", dir.file("run"),
                                         "--resume", empty])
        expectUserError(result, mentions: [empty, "no checkpoint"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run")))
    }

    @Test func evalOfAMissingCheckpoint() throws {
        let result = try SynapseCLI.run(["eval", "/nonexistent/checkpoints/latest"])
        expectUserError(result, mentions: ["/nonexistent/checkpoints/latest"])
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func evalOfACorruptCheckpointReportsTheChecksum() throws {
        let dir = try TestDirectory("eval-corrupt")
        defer { dir.remove() }
        let (runDir, checkpoint) = try corruptedCopyOfShortRun(of: "model.safetensors", in: dir)
        let result = try SynapseCLI.run(["eval", runDir + "/checkpoints/latest"])
        expectUserError(result, mentions: [checkpoint, "model.safetensors", "checksum", "corrupt"])
        #expect(result.stdout.isEmpty, "no score is printed for a corrupt checkpoint\n\(result.report)")
        // The error lists the older, valid checkpoints to use instead.
        #expect(result.stderr.contains(CheckpointStore.directoryName(step: 2 * ShortRun.steps / ShortRun.epochs)),
                "\(result.report)")
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func resumeOfACorruptCheckpointTouchesNothing() throws {
        let dir = try TestDirectory("resume-corrupt")
        defer { dir.remove() }
        let (runDir, checkpoint) = try corruptedCopyOfShortRun(of: "optimizer.safetensors", in: dir)
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDir, "--resume", "auto"]
                                        + SynapseCLI.subset + ShortRun.overrides)
        expectUserError(result, mentions: [checkpoint, "optimizer.safetensors", "checksum"])
        // Nothing was written: no metrics, no new config, the checkpoints as they were.
        for name in ["metrics.jsonl", "metrics.csv", "config.yaml"] {
            #expect(!FileManager.default.fileExists(atPath: runDir + "/" + name), "\(name) was written\n\(result.report)")
        }
        let steps = try FileManager.default.contentsOfDirectory(atPath: runDir + "/checkpoints").filter { $0.hasPrefix("step-") }
        let original = try FileManager.default.contentsOfDirectory(atPath: try ShortRun.finished().directory + "/checkpoints")
            .filter { $0.hasPrefix("step-") }
        #expect(steps.sorted() == original.sorted())
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func evalOfATornCheckpointSaysItIsIncomplete() throws {
        // A save interrupted before state.json (written last) was renamed into place.
        let dir = try TestDirectory("eval-torn")
        defer { dir.remove() }
        let (_, checkpoint) = try corruptedCopyOfShortRun(of: "progress.json", in: dir)
        try FileManager.default.removeItem(atPath: checkpoint + "/state.json")
        let result = try SynapseCLI.run(["eval", checkpoint])
        expectUserError(result, mentions: [checkpoint, "state.json"])
    }
}
