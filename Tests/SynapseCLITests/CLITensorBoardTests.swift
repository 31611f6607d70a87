import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// What TensorBoard itself reads from a run directory: the event files of `synapse train`
/// loaded by TensorBoard's own loaders (Reference/read_tensorboard.py), each scalar compared
/// with the row of metrics.jsonl it came from.
enum TensorBoardReader {
    /// Whether `python3 -c "import tensorboard"` works.
    static let installed: Bool = {
        guard let run = try? ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import tensorboard"])
        else { return false }
        return run.status == 0
    }()

    static let script = ProcessRunner.packageRoot.appendingPathComponent("Tests/SynapseCLITests/Reference/read_tensorboard.py").path

    /// What read_tensorboard.py printed for `runDirectory`.
    struct Contents {
        var files: [String]
        /// Per file, the file_version of its first event.
        var firstEvent: [String: String]
        /// Every summary event of every file: (file, step, tags).
        var raw: [(file: String, step: Int, tags: [String])]
        /// tag → [(step, value)] as TensorBoard serves them (NaN for a non-finite value).
        var scalars: [String: [(step: Int, value: Double)]]
        /// tag → [(step, text)].
        var texts: [String: [(step: Int, text: String)]]
        var plugins: [String: String]
    }

    static func read(_ runDirectory: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Contents {
        let run = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, runDirectory], timeout: 120)
        try #require(run.status == 0, "\(run.report)", sourceLocation: sourceLocation)
        let line = try #require(run.stdout.split(separator: "\n").last, "\(run.report)", sourceLocation: sourceLocation)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)",
                                sourceLocation: sourceLocation)
        func pairs<T>(_ key: String, _ value: (Any) -> T?) -> [String: [(Int, T)]] {
            ((json[key] as? [String: [[Any]]]) ?? [:]).mapValues { list in
                list.compactMap { p in (p[0] as? Int).flatMap { s in value(p[1]).map { (s, $0) } } }
            }
        }
        let raw = ((json["raw"] as? [[Any]]) ?? []).map { ($0[0] as? String ?? "", $0[1] as? Int ?? -1, $0[2] as? [String] ?? []) }
        return Contents(files: json["files"] as? [String] ?? [], firstEvent: json["first"] as? [String: String] ?? [:],
                        raw: raw, scalars: pairs("scalars") { ($0 as? Double) ?? .nan }.mapValues { $0.map { (step: $0.0, value: $0.1) } },
                        texts: pairs("texts") { $0 as? String }.mapValues { $0.map { (step: $0.0, text: $0.1) } },
                        plugins: json["plugins"] as? [String: String] ?? [:])
    }

    /// The scalars a metrics.jsonl row becomes (the mapping docs/tensorboard.md documents):
    /// tag → value, rounded to float32 as the event file stores it.
    static func expectedScalars(of row: [String: Any], tokens: Bool) -> [String: Float] {
        let split = row["split"] as? String ?? "?"
        func float(_ key: String) -> Float? { (row[key] as? Double).map(Float.init) ?? (row.keys.contains(key) && row[key] is NSNull ? .nan : nil) }
        var out: [String: Float] = [:]
        out["\(split)/loss"] = float("loss")
        out["\(split)/accuracy"] = float("accuracy")
        out["\(split)/bits_per_char"] = float("bits_per_char")
        if split == "train" {
            out["train/lr"] = float("lr")
            out[tokens ? "train/tokens_per_sec" : "train/samples_per_sec"] = float("samples_per_sec")
        }
        return out
    }

    /// Expects TensorBoard's scalars of `runDirectory` to be exactly its metrics.jsonl rows:
    /// the same tags at the same steps with the same values (to float32), nothing more, and
    /// every tag with one value per step (one curve).
    static func expectScalarsMatchMetrics(_ contents: Contents, runDirectory: String, tokens: Bool = false,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        var want: [String: [(step: Int, value: Float)]] = [:]
        for row in try metricsRows(in: runDirectory) {
            let step = try #require(row["step"] as? Int, sourceLocation: sourceLocation)
            for (tag, value) in expectedScalars(of: row, tokens: tokens) { want[tag, default: []].append((step, value)) }
        }
        #expect(contents.scalars.keys.sorted() == want.keys.sorted(), sourceLocation: sourceLocation)
        for (tag, rows) in want {
            let got = (contents.scalars[tag] ?? []).sorted { $0.step < $1.step }
            #expect(got.map(\.step) == rows.map(\.step), "\(tag): steps", sourceLocation: sourceLocation)
            for (g, w) in zip(got, rows) where g.step == w.step {
                let same = Float(g.value) == w.value || (g.value.isNaN && w.value.isNaN)
                #expect(same, "\(tag) at step \(g.step): TensorBoard \(g.value), metrics.jsonl \(w.value)",
                        sourceLocation: sourceLocation)
            }
        }
        // Straight from the files: no (tag, step) twice, whatever TensorBoard's loader keeps.
        var seen = Set<String>()
        for event in contents.raw {
            for tag in event.tags {
                #expect(seen.insert("\(tag)@\(event.step)").inserted, "\(tag) at step \(event.step) is written twice",
                        sourceLocation: sourceLocation)
            }
        }
    }
}

/// `synapse train` writes a TensorBoard event file next to metrics.jsonl (`train.tensorboard`,
/// on by default): TensorBoard reads the same numbers, the resolved config as text, and a
/// resumed run as one curve.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"),
       .enabled(if: TensorBoardReader.installed, "TensorBoard is not installed (python3 -m pip install tensorboard)"))
struct CLITensorBoardTests {
    /// 2 epochs of 78 steps, a row every 20 steps and a checkpoint every 50 (all kept).
    static let arguments = SynapseCLI.subset + ["--set", "train.epochs=2", "--set", "train.log_every=20",
                                                "--set", "train.checkpoint_every=50", "--set", "train.keep_checkpoints=100"]
    static let steps = 156

    /// The run, trained once and shared.
    static let run = Result { () throws -> String in
        let directory = try TestDirectory("tensorboard").file("run")
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", directory] + arguments)
        guard result.status == 0 else { throw UserError("the training run failed\n\(result.report)") }
        return directory
    }

    @Test func scalarsAndConfigAreWhatTensorBoardReads() throws {
        let directory = try Self.run.get()
        let contents = try TensorBoardReader.read(directory)
        try #require(contents.files.count == 1, "\(contents.files)")
        let name = contents.files[0]
        // events.out.tfevents.<unix time>.<host>
        let parts = name.split(separator: ".", maxSplits: 4)
        #expect(parts.count == 5 && parts[0...2] == ["events", "out", "tfevents"], "\(name)")
        #expect(parts.count == 5 && abs((Double(parts[3]) ?? 0) - Date().timeIntervalSince1970) < 3600, "\(name)")
        #expect(contents.firstEvent[name] == "brain.Event:2")
        try TensorBoardReader.expectScalarsMatchMetrics(contents, runDirectory: directory)
        #expect(contents.scalars["train/loss"]?.count == Self.steps / 20 + 1)   // steps 20, 40, …, 140 and 156
        #expect(contents.scalars["val/accuracy"]?.map(\.step) == [78, 156])
        #expect(contents.scalars["test/loss"]?.map(\.step) == [156])

        let config = try String(contentsOfFile: directory + "/config.yaml", encoding: .utf8)
        #expect(contents.plugins["config"] == "text")
        let texts = try #require(contents.texts["config"])
        #expect(texts.map(\.step) == [0])
        #expect(texts.first?.text == "```yaml\n" + config + "```\n")
    }

    /// The run copied and resumed from its step-100 checkpoint: the earlier file is cut back to
    /// steps ≤ 100 (like metrics.jsonl), the new file holds the steps after, and TensorBoard
    /// shows one curve that equals the rewritten metrics.jsonl.
    @Test func resumedRunContinuesOneCurveInANewFile() throws {
        let original = try Self.run.get()
        let dir = try TestDirectory("tensorboard-resume")
        defer { dir.remove() }
        let directory = dir.file("run")
        try FileManager.default.copyItem(atPath: original, toPath: directory)
        let checkpoint = directory + "/checkpoints/" + CheckpointStore.directoryName(step: 100)
        let resumed = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", directory, "--resume", checkpoint]
                                         + Self.arguments)
        try #require(resumed.status == 0, "\(resumed.report)")

        let contents = try TensorBoardReader.read(directory)
        try #require(contents.files.count == 2, "\(contents.files)")
        let (earlier, later) = (contents.files[0], contents.files[1])
        #expect(contents.firstEvent[earlier] == "brain.Event:2" && contents.firstEvent[later] == "brain.Event:2")
        try TensorBoardReader.expectScalarsMatchMetrics(contents, runDirectory: directory)
        let earlierSteps = contents.raw.filter { $0.file == earlier }.map(\.step)
        let laterScalarSteps = contents.raw.filter { $0.file == later && !$0.tags.contains("config") }.map(\.step)
        #expect(earlierSteps.allSatisfy { $0 <= 100 } && earlierSteps.contains(100), "\(earlierSteps)")
        #expect(laterScalarSteps.allSatisfy { $0 > 100 } && laterScalarSteps.contains(Self.steps), "\(laterScalarSteps)")
        #expect(contents.scalars["train/loss"]?.map(\.step) == Array(stride(from: 20, through: 140, by: 20)) + [156])
        #expect(contents.scalars["test/loss"]?.map(\.step) == [156])
        #expect(contents.texts["config"]?.map(\.step) == [0, 100])
    }

    /// A fresh run in a directory that holds an earlier run's event file replaces it (as it
    /// rewrites metrics.jsonl); `train.tensorboard: false` writes none and leaves files alone.
    @Test func freshRunReplacesEarlierFilesAndTheKeyTurnsItOff() throws {
        let original = try Self.run.get()
        let dir = try TestDirectory("tensorboard-fresh")
        defer { dir.remove() }
        let directory = dir.file("run")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let old = try #require(try FileManager.default.contentsOfDirectory(atPath: original).first { $0.hasPrefix("events.out.tfevents.") })
        try FileManager.default.copyItem(atPath: original + "/" + old, toPath: directory + "/" + old)
        let short = ["--set", "train.epochs=0", "--set", "train.max_steps=10", "--set", "train.log_every=5"]
        let fresh = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", directory] + SynapseCLI.subset + short)
        try #require(fresh.status == 0, "\(fresh.report)")
        let contents = try TensorBoardReader.read(directory)
        #expect(contents.files.count == 1 && contents.files.first != old, "\(contents.files)")
        try TensorBoardReader.expectScalarsMatchMetrics(contents, runDirectory: directory)
        #expect(contents.scalars["train/loss"]?.map(\.step) == [5, 10])

        let offDirectory = dir.file("off")
        let off = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", offDirectory] + SynapseCLI.subset + short
                                     + ["--set", "train.tensorboard=false"])
        try #require(off.status == 0, "\(off.report)")
        let names = try FileManager.default.contentsOfDirectory(atPath: offDirectory)
        #expect(!names.contains { $0.contains("tfevents") }, "\(names)")
        #expect(names.contains("metrics.jsonl"))
    }

    /// A character model: bits per character and tokens per second.
    @Test func textModelLogsBitsPerCharacterAndTokensPerSecond() throws {
        let dir = try TestDirectory("tensorboard-text")
        defer { dir.remove() }
        let corpus = try dir.write(CLITextTests.corpus(), to: "corpus.txt")
        let directory = dir.file("run")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        let overrides = ["--set", "data.path=\(corpus)", "--set", "model.hidden_size=32", "--set", "model.layers=1",
                         "--set", "model.embedding=8", "--set", "data.context=16", "--set", "train.batch_size=16",
                         "--set", "train.max_steps=40", "--set", "train.log_every=10", "--set", "train.eval_batch_size=64"]
        let result = try SynapseCLI.run(["train", config, "--run-dir", directory] + overrides, timeout: 300)
        try #require(result.status == 0, "\(result.report)")
        let contents = try TensorBoardReader.read(directory)
        try TensorBoardReader.expectScalarsMatchMetrics(contents, runDirectory: directory, tokens: true)
        #expect(contents.scalars["train/tokens_per_sec"]?.count == 4)
        #expect(contents.scalars["val/bits_per_char"] != nil && contents.scalars["train/samples_per_sec"] == nil)
    }
}
