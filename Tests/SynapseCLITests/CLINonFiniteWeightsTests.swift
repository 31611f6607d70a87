import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Short real runs of the fixture config (Tests/Fixtures/distributed-mlp.yaml) for the
/// reliability tests, and a way to give a checkpoint a NaN the way a diverged run would.
enum SmallRun {
    /// The fixture: a 784-64-32-10 MLP on 2016 Fashion-MNIST images, 20 steps per epoch.
    static let config = DistributedTests.fixtureConfig

    /// `synapse train` of the fixture into `runDirectory` for `steps` steps (exit 0 required).
    @discardableResult
    static func train(_ runDirectory: String, steps: Int = 5, _ extra: [String] = []) throws -> ProcessResult {
        let result = try SynapseCLI.run(["train", config, "--run-dir", runDirectory, "--set", "train.max_steps=\(steps)"] + extra)
        try #require(result.status == 0, "\(result.report)")
        return result
    }

    /// Sets value `index` of the first tensor of `file` in checkpoint `checkpoint` to NaN and
    /// records the new size and CRC-32 in its state.json, so the checkpoint still verifies:
    /// only its values are wrong. Returns the tensor's name.
    @discardableResult
    static func poison(_ checkpoint: String, file: String = "model.safetensors", index: Int = 3) throws -> String {
        let path = checkpoint + "/" + file
        let tensors = try SafeTensorsFile(contentsOf: path)
        var entries: [SafeTensorsEntry] = []
        for info in tensors.tensors {
            var values = try tensors.floats(named: info.name)
            if info.name == tensors.tensors[0].name { values[index] = .nan }
            entries.append(SafeTensorsEntry(name: info.name, shape: info.shape, values: values))
        }
        let data = SafeTensors.encode(entries, metadata: tensors.metadata)
        try data.write(to: URL(fileURLWithPath: path))
        let statePath = checkpoint + "/" + CheckpointStore.stateFileName
        var state = try CheckpointState.decode(json: try Data(contentsOf: URL(fileURLWithPath: statePath)))
        state.files[file] = CheckpointState.FileRecord(bytes: data.count, crc32: CRC32.checksum(data))
        try state.jsonData().write(to: URL(fileURLWithPath: statePath))
        return tensors.tensors[0].name
    }

    /// The directory `latest` points to in `runDirectory`.
    static func latest(_ runDirectory: String) throws -> String {
        try CheckpointStore.load(path: runDirectory).path
    }
}

/// Weights with a NaN or ±∞ are refused wherever they are loaded (exit 2, the tensors named),
/// instead of being evaluated, predicted from, resumed or copied into a new run; `inspect`
/// still shows them. Without the check, ReLU's old NaN-to-0 made `eval` report an accuracy.
@Suite(.serialized,
       .enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLINonFiniteWeightsTests {
    @Test func everyCommandThatLoadsWeightsRefusesNaN() throws {
        let dir = try TestDirectory("nonfinite")
        defer { dir.remove() }
        let run = dir.file("run")
        try SmallRun.train(run)
        let checkpoint = try SmallRun.latest(run)
        let tensor = try SmallRun.poison(checkpoint)
        let mentions = [checkpoint + "/model.safetensors", "'\(tensor)' (1 of", "NaN"]

        expectUserError(try SynapseCLI.run(["eval", run]), mentions: mentions)
        expectUserError(try SynapseCLI.run(["eval", run, "--split", "val"]), mentions: mentions)
        expectUserError(try SynapseCLI.run(["predict", run, "--first", "2", "--no-images"]), mentions: mentions)

        // A resume in place: refused, and the run's files are as they were.
        let metricsBefore = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", run, "--set", "train.max_steps=10",
                                            "--resume", "auto"]), mentions: mentions)
        #expect(try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8) == metricsBefore)
        #expect(try SmallRun.latest(run) == checkpoint)

        // model.init_from into a new run: refused before the new directory exists.
        let copy = dir.file("fine-tuned")
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", copy, "--set", "train.max_steps=5",
                                            "--set", "model.init_from=\(run)"]),
                        mentions: ["model.init_from", "'\(tensor)' (1 of", "NaN"])
        #expect(!FileManager.default.fileExists(atPath: copy), "a refused init_from created \(copy)")

        // A distillation teacher with NaN weights.
        let student = dir.file("student")
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", student, "--set", "train.max_steps=5",
                                            "--set", "train.distillation.teachers=[\(run)]"]),
                        mentions: ["'\(tensor)' (1 of", "NaN"])
        #expect(!FileManager.default.fileExists(atPath: student))

        // inspect shows what is wrong instead of refusing: one non-finite value in the tensor.
        let inspect = try SynapseCLI.run(["inspect", run])
        #expect(inspect.status == 0, "\(inspect.report)")
        let row = try #require(inspect.stdout.split(separator: "\n").first { $0.hasPrefix("  \(tensor) ") }, "\(inspect.stdout)")
        #expect(row.split(separator: " ").last == "1", "\(row)")
    }

    @Test func aNaNInTheOptimizerStateRefusesTheResume() throws {
        let dir = try TestDirectory("nonfinite-optimizer")
        defer { dir.remove() }
        let run = dir.file("run")
        try SmallRun.train(run)
        let checkpoint = try SmallRun.latest(run)
        try SmallRun.poison(checkpoint, file: "optimizer.safetensors", index: 0)
        // Into a new directory: refused, and nothing written there.
        let resumed = dir.file("resumed")
        expectUserError(try SynapseCLI.run(["train", SmallRun.config, "--run-dir", resumed, "--set", "train.max_steps=10",
                                            "--resume", checkpoint]),
                        mentions: [checkpoint + "/optimizer.safetensors", "NaN"])
        #expect(!FileManager.default.fileExists(atPath: resumed), "a refused resume created \(resumed)")
    }
}
