import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// One short `synapse train` on a Fashion-MNIST subset (3 epochs of 78 steps), run once on
/// first use and shared by the tests that read its run directory.
struct ShortRun: Sendable {
    /// Training samples after the validation split, the batch, the epochs.
    static let trainSamples = 5_000, batch = 64, epochs = 3
    /// Optimizer steps the run takes: full batches only.
    static let steps = trainSamples / batch * epochs

    /// The `--set` overrides beyond `SynapseCLI.subset`.
    static let overrides = ["--set", "train.epochs=\(epochs)", "--set", "train.batch_size=\(batch)"]

    /// The run directory.
    let directory: String
    /// What `synapse train` did.
    let result: ProcessResult

    /// The run, or the error that kept it from starting.
    static let shared = Result { try ShortRun() }

    private init() throws {
        directory = try TestDirectory("short-run").file("run")
        result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", directory]
                                    + SynapseCLI.subset + ShortRun.overrides)
    }

    /// The finished run, after checking that it exited 0.
    static func finished(sourceLocation: SourceLocation = #_sourceLocation) throws -> ShortRun {
        let run = try shared.get()
        try #require(run.result.status == 0, "\(run.result.report)", sourceLocation: sourceLocation)
        return run
    }

    /// `checkpoints/step-NNNNNNNN` of the final step.
    var finalCheckpoint: String { directory + "/checkpoints/" + CheckpointStore.directoryName(step: ShortRun.steps) }
}

@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLITrainingTests {
    @Test func shortRunClearsTheAccuracyBar() throws {
        let run = try ShortRun.finished()
        let test = try #require(try metricsRows(in: run.directory).last { $0["split"] as? String == "test" })
        // This MLP reaches 81–83 % on the 2,000 test images after 3 epochs on 5,000 samples;
        // 75 % leaves room for BLAS and platform differences, while a broken gradient, optimizer
        // or data pipeline stays far below it (chance is 10 %).
        let accuracy = try #require(test["accuracy"] as? Double)
        #expect(accuracy >= 0.75, "test accuracy \(accuracy)\n\(run.result.report)")
        #expect(run.result.stdout.contains("finished \(ShortRun.steps) steps"), "\(run.result.report)")
        #expect(run.result.stderr.isEmpty, "\(run.result.report)")
    }

    @Test func metricsRowsHaveEveryField() throws {
        let run = try ShortRun.finished()
        let rows = try metricsRows(in: run.directory)
        try #require(!rows.isEmpty)
        var lastStep = 0
        for row in rows {
            let split = try #require(row["split"] as? String, "\(row)")
            #expect(["train", "val", "test"].contains(split), "\(row)")
            let step = try #require(row["step"] as? Int, "\(row)")
            #expect(step >= lastStep && step <= ShortRun.steps, "steps must not go backwards: \(row)")
            lastStep = step
            let epoch = try #require(row["epoch"] as? Int, "\(row)")
            #expect((1...ShortRun.epochs).contains(epoch), "\(row)")
            let loss = try #require(row["loss"] as? Double, "\(row)")
            #expect(loss.isFinite && loss > 0, "\(row)")
            let accuracy = try #require(row["accuracy"] as? Double, "\(row)")
            #expect((0...1).contains(accuracy), "\(row)")
            #expect(try #require(row["elapsed_sec"] as? Double, "\(row)") >= 0)
            #expect(try #require(row["lr"] as? Double, "\(row)") > 0)
            if split == "train" {
                #expect(try #require(row["samples_per_sec"] as? Double, "\(row)") > 0)
            } else {
                #expect(row["samples_per_sec"] == nil, "only train rows have a throughput: \(row)")
            }
        }
        // One validation row per epoch, at its last step; one test row, last.
        let val = rows.filter { $0["split"] as? String == "val" }
        #expect(val.compactMap { $0["epoch"] as? Int } == Array(1...ShortRun.epochs))
        #expect(val.compactMap { $0["step"] as? Int } == (1...ShortRun.epochs).map { $0 * ShortRun.steps / ShortRun.epochs })
        #expect(rows.filter { $0["split"] as? String == "test" }.count == 1)
        #expect(rows.last?["split"] as? String == "test")
        #expect(rows.last?["step"] as? Int == ShortRun.steps)
        // The last training row closes the run (logged at the final step even off log_every).
        #expect(rows.last { $0["split"] as? String == "train" }?["step"] as? Int == ShortRun.steps)
    }

    @Test func metricsCSVMatchesTheJSONLines() throws {
        let run = try ShortRun.finished()
        func lines(_ name: String) throws -> [String] {
            try String(contentsOfFile: run.directory + "/" + name, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)  // ends with \n
        }
        let json = try lines("metrics.jsonl"), csv = try lines("metrics.csv")
        #expect(csv.first == "step,epoch,split,loss,accuracy,lr,samples_per_sec,elapsed_sec")
        try #require(csv.count == json.count + 1, "\(csv.count - 1) CSV rows vs \(json.count) JSON rows")
        // Cell by cell, the same text as the JSON value (compared as text: Foundation's JSON
        // parser on Linux may round the last digit of a double).
        let keys = ["step", "epoch", "split", "loss", "accuracy", "lr", "samples_per_sec", "elapsed_sec"]
        for (csvLine, jsonLine) in zip(csv.dropFirst(), json) {
            let cells = csvLine.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            try #require(cells.count == keys.count, "\(csvLine)")
            for (key, cell) in zip(keys, cells) {
                #expect(cell == (jsonText(of: key, in: jsonLine) ?? ""), "\(key): \(csvLine) vs \(jsonLine)")
            }
        }
    }

    /// The text of `key`'s value in a flat JSON object line, without quotes; nil when absent.
    private func jsonText(of key: String, in line: String) -> String? {
        guard let start = line.range(of: "\"\(key)\":") else { return nil }
        let value = line[start.upperBound...].prefix { $0 != "," && $0 != "}" }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    @Test func resolvedConfigReloadsToTheSameConfig() throws {
        let run = try ShortRun.finished()
        let saved = try ConfigLoader.load(path: run.directory + "/config.yaml")
        let overrides = (SynapseCLI.subset + ShortRun.overrides).filter { $0 != "--set" }
        let expected = try ConfigLoader.load(path: SynapseCLI.fashionConfig, overrides: overrides)
        #expect(saved == expected)
        #expect(saved.hash == expected.hash)
        #expect(saved.train.epochs == ShortRun.epochs && saved.data.trainSubset == 6000)
    }

    @Test func latestPointsAtTheFinalCheckpoint() throws {
        let run = try ShortRun.finished()
        let checkpoints = run.directory + "/checkpoints"
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: checkpoints + "/latest")
        #expect(target == CheckpointStore.directoryName(step: ShortRun.steps))
        let loaded = try CheckpointStore.load(path: checkpoints + "/latest")
        #expect(loaded.state.step == ShortRun.steps)
        #expect(loaded.state.epoch == ShortRun.epochs)
        for name in ["model.safetensors", "optimizer.safetensors", "progress.json", "config.yaml"] {
            #expect(loaded.files[name] != nil, "\(name) missing from \(loaded.path)")
        }
        // No leftovers of an interrupted save next to the checkpoints.
        let entries = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        #expect(entries.allSatisfy { $0 == "latest" || $0.hasPrefix("step-") }, "\(entries)")
        #expect(entries.count <= 4, "keep_checkpoints is 3: \(entries)")
    }

    @Test func evalReproducesTheTestRow() throws {
        let run = try ShortRun.finished()
        let test = try #require(try metricsRows(in: run.directory).last { $0["split"] as? String == "test" })
        let eval = try SynapseCLI.run(["eval", run.directory + "/checkpoints/latest"])
        try #require(eval.status == 0, "\(eval.report)")
        // "…/step-00000234 test: loss 0.5333  accuracy 81.50 %  (2000 samples, step 234)"
        let words = eval.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        let loss = try #require(words.firstIndex(of: "loss").flatMap { Double(words[$0 + 1]) }, "\(eval.report)")
        let percent = try #require(words.firstIndex(of: "accuracy").flatMap { Double(words[$0 + 1]) }, "\(eval.report)")
        #expect(abs(loss - (test["loss"] as? Double ?? .nan)) <= 1e-4, "\(eval.stdout) vs \(test)")
        #expect(String(format: "%.2f", percent) == String(format: "%.2f", 100 * (test["accuracy"] as? Double ?? .nan)),
                "\(eval.stdout) vs \(test)")
        #expect(eval.stdout.contains("(2000 samples, step \(ShortRun.steps))"), "\(eval.report)")
        #expect(eval.stdout.contains(run.finalCheckpoint), "eval names the resolved checkpoint\n\(eval.report)")
    }

    @Test func evalOfTheRunDirectoryAndOfTheValidationSplit() throws {
        let run = try ShortRun.finished()
        let rows = try metricsRows(in: run.directory)
        let lastVal = try #require(rows.last { $0["split"] as? String == "val" })
        let eval = try SynapseCLI.run(["eval", run.directory, "--split", "val"])
        try #require(eval.status == 0, "\(eval.report)")
        let percent = String(format: "%.2f %%", 100 * (lastVal["accuracy"] as? Double ?? .nan))
        #expect(eval.stdout.contains("val: loss \(String(format: "%.4f", lastVal["loss"] as? Double ?? .nan))"), "\(eval.report)")
        #expect(eval.stdout.contains("accuracy \(percent)"), "\(eval.report)")
        #expect(eval.stdout.contains("(1000 samples"), "\(eval.report)")
    }
}

/// A copy of the short run's checkpoints/ in a fresh run directory `dir/run`, with one bit of
/// `file` flipped in the checkpoint of `step` (the final one unless given).
func corruptedCopyOfShortRun(of file: String, in dir: TestDirectory,
                             step: Int = ShortRun.steps) throws -> (runDir: String, checkpoint: String) {
    let run = try ShortRun.finished()
    let runDir = dir.file("run")
    try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: run.directory + "/checkpoints", toPath: runDir + "/checkpoints")
    let checkpoint = runDir + "/checkpoints/" + CheckpointStore.directoryName(step: step)
    let url = URL(fileURLWithPath: checkpoint + "/" + file)
    var bytes = [UInt8](try Data(contentsOf: url))
    bytes[bytes.count / 2] ^= 0x10   // a flipped bit in the middle of the tensor data
    try Data(bytes).write(to: url)
    return (runDir, checkpoint)
}
