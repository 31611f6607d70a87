import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Transfer learning from the command line: `model.init_from` starts a run from the short
/// run's checkpoint, `train.freeze` keeps its first layer bit for bit, a resume does not need
/// the source any more, and a bad source or prefix exits with status 2 before the run
/// directory exists.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIFineTuningTests {
    /// `synapse train` of the example config on the usual subset, with `overrides` (key=value).
    private func train(runDirectory: String, _ overrides: [String], resume: Bool = false) throws -> ProcessResult {
        try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDirectory] + SynapseCLI.subset
                           + overrides.flatMap { ["--set", $0] } + (resume ? ["--resume", "auto"] : []))
    }

    @Test func aFineTunedRunKeepsItsFrozenLayerAndResumesWithoutTheSource() throws {
        let pretrained = try ShortRun.finished()
        let dir = try TestDirectory("fine-tune")
        defer { dir.remove() }
        // A private copy of the short run's last checkpoint, so that this test may delete it.
        let source = dir.file("source")
        try FileManager.default.copyItem(atPath: pretrained.finalCheckpoint, toPath: source)
        let runDir = dir.file("run")
        // 784-256-64-10 from 784-256-128-10: fc1 and fc3.bias fit, fc2 and fc3.weight are new.
        let overrides = ["model.hidden=[256, 64]", "model.init_from=\(source)", "train.freeze=[fc1]"]
        let first = try train(runDirectory: runDir, overrides + ["train.epochs=1"])
        try #require(first.status == 0, "\(first.report)")
        #expect(first.stderr.isEmpty, "\(first.report)")
        #expect(first.stdout.contains("model.init_from: started from \(source) (step \(ShortRun.steps)): copied 3 of 6 parameter tensors"),
                "\(first.report)")
        #expect(first.stdout.contains("fresh init: fc2.weight [64, 256] (checkpoint [128, 256])"), "\(first.report)")
        #expect(first.stdout.contains("frozen (train.freeze): fc1 — 200960 of"), "\(first.report)")
        let original = try tensorBits(source + "/model.safetensors")
        let tuned = try tensorBits(runDir + "/checkpoints/latest/model.safetensors")
        // (Plain Bools, so that a failure does not print 200,000 numbers.)
        let frozenKept = tuned["fc1.weight"] == original["fc1.weight"] && tuned["fc1.bias"] == original["fc1.bias"]
        let biasTrained = tuned["fc3.bias"] != nil && tuned["fc3.bias"] != original["fc3.bias"]
        #expect(frozenKept, "the frozen layer changed")
        #expect(biasTrained, "the copied classifier bias trains")
        #expect(try String(contentsOfFile: runDir + "/config.yaml", encoding: .utf8).contains("init_from: \(source)"))

        // Resumed for a second epoch with the source gone: the run's own checkpoint is enough.
        try FileManager.default.removeItem(atPath: source)
        let second = try train(runDirectory: runDir, overrides + ["train.epochs=2"], resume: true)
        try #require(second.status == 0, "\(second.report)")
        #expect(second.stdout.contains("resumed at step \(ShortRun.steps / ShortRun.epochs)"), "\(second.report)")
        #expect(second.stdout.contains("model.init_from is not read again"), "\(second.report)")
        let resumed = try tensorBits(runDir + "/checkpoints/latest/model.safetensors")
        let stillFrozen = resumed["fc1.weight"] == original["fc1.weight"]
        let trainedOn = resumed["fc2.weight"] != nil && resumed["fc2.weight"] != tuned["fc2.weight"]
        #expect(stillFrozen, "the frozen layer changed after the resume")
        #expect(trainedOn, "the second epoch trained")
    }

    @Test func aRunStartedFromTheShortRunScoresLikeIt() throws {
        // The whole model copied and one tiny step taken: the test accuracy is the short run's
        // (a random start after one step is near chance).
        let pretrained = try ShortRun.finished()
        let dir = try TestDirectory("fine-tune-score")
        defer { dir.remove() }
        let step = ["train.epochs=0", "train.max_steps=1", "optimizer.lr=1.0e-6"]
        let started = try train(runDirectory: dir.file("started"), step + ["model.init_from=\(pretrained.directory)"])
        try #require(started.status == 0, "\(started.report)")
        let scratch = try train(runDirectory: dir.file("scratch"), step)
        try #require(scratch.status == 0, "\(scratch.report)")
        func testAccuracy(_ runDirectory: String) throws -> Double {
            try #require(try metricsRows(in: runDirectory).last { $0["split"] as? String == "test" }?["accuracy"] as? Double)
        }
        let reference = try testAccuracy(pretrained.directory), fine = try testAccuracy(dir.file("started"))
        #expect(abs(fine - reference) < 0.01, "started from the short run (\(reference)) but scored \(fine)")
        #expect(try testAccuracy(dir.file("scratch")) < reference - 0.2)
    }

    @Test func aMissingSourceExitsWithStatus2AndCreatesNothing() throws {
        let dir = try TestDirectory("fine-tune-missing")
        defer { dir.remove() }
        let missing = dir.file("runs/never-trained"), runDir = dir.file("run")
        let result = try train(runDirectory: runDir, ["model.init_from=\(missing)", "train.epochs=1"])
        expectUserError(result, mentions: ["model.init_from: cannot load \(missing)", "does not exist", "remove it to start from random weights"])
        #expect(!FileManager.default.fileExists(atPath: runDir), "the run directory was created\n\(result.report)")
    }

    @Test func anMLPCheckpointForACNNExitsWithStatus2() throws {
        let pretrained = try ShortRun.finished()
        let dir = try TestDirectory("fine-tune-cnn")
        defer { dir.remove() }
        let runDir = dir.file("run")
        let result = try train(runDirectory: runDir, ["model.kind=cnn", "model.conv=[4]", "model.hidden=[]",
                                                      "model.init_from=\(pretrained.directory)", "train.epochs=1"])
        expectUserError(result, mentions: ["model.init_from: no parameter of \(pretrained.finalCheckpoint)/model.safetensors",
                                           "fc1.weight [256, 784]", "conv1.weight [4, 1, 3, 3]"])
        #expect(!FileManager.default.fileExists(atPath: runDir), "the run directory was created\n\(result.report)")
    }

    @Test func anUnknownFreezePrefixExitsWithStatus2AndListsTheLayers() throws {
        let dir = try TestDirectory("fine-tune-prefix")
        defer { dir.remove() }
        let runDir = dir.file("run")
        let result = try train(runDirectory: runDir, ["train.freeze=[fc1, hidden1]", "train.epochs=1"])
        expectUserError(result, mentions: ["train.freeze[1]: 'hidden1' matches no parameter", "its layers are fc1, fc2, fc3"])
        #expect(!FileManager.default.fileExists(atPath: runDir), "the run directory was created\n\(result.report)")
    }
}
