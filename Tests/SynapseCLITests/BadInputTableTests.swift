import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// One table of bad input — config files, `--set` values, data files, checkpoint files and
/// command-line arguments — each run against the real `synapse` binary. Every case must end
/// with its documented exit status (2 bad input, 1 run-time failure) and one `error:` line
/// holding its message fragment, never a crash, a hang or a signal; and every case checks
/// that nothing was half-written: the case's whole scratch directory (the config, the data,
/// the checkpoint, the run directory it names) is byte for byte what it was before.
///
/// The data cases use a small synthetic Fashion-MNIST-shaped data set written by the test
/// (120 + 60 images), so none needs the real data set. docs/reliability.md lists the table's
/// causes with their exit statuses.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct BadInputTableTests {
    @Test(arguments: BadInput.table)
    func badInputEndsWithItsStatusAndMessageAndWritesNothing(_ input: BadInput) throws {
        let dir = try TestDirectory("bad-input")
        defer { dir.remove() }
        let scene = Scene(dir: dir)
        let arguments = try input.prepare(scene)
        let before = try Snapshot(of: dir.path)
        let result = try SynapseCLI.run(arguments, timeout: 60)
        #expect(!result.timedOut && !result.endedBySignal, "\(input.name): \(result.report)")
        #expect(result.status == input.status, "\(input.name): expected exit status \(input.status)\n\(result.report)")
        let errorLines = result.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error") }
        #expect(errorLines.count == 1, "\(input.name): expected exactly one error line\n\(result.report)")
        #expect(result.stderr.contains(input.fragment), "\(input.name): stderr lacks '\(input.fragment)'\n\(result.report)")
        let after = try Snapshot(of: dir.path)
        #expect(after == before, "\(input.name): files changed: \(before.difference(to: after))")
        #expect(!FileManager.default.fileExists(atPath: scene.run), "\(input.name): the run directory was created")
    }

    @Test func tableHasAtLeastAHundredCasesWithDistinctNames() {
        #expect(BadInput.table.count >= 100)
        #expect(Set(BadInput.table.map(\.name)).count == BadInput.table.count)
    }
}

/// One row of the table.
struct BadInput: Sendable, CustomTestStringConvertible {
    /// What is wrong, as the test's name.
    let name: String
    /// The exit status `synapse` must end with.
    let status: Int32
    /// A fragment of the one error message.
    let fragment: String
    /// Writes the case's files into the scene and returns the command line (after `synapse`).
    let prepare: @Sendable (Scene) throws -> [String]

    var testDescription: String { name }

    init(_ name: String, _ status: Int32, _ fragment: String, _ prepare: @escaping @Sendable (Scene) throws -> [String]) {
        self.name = name
        self.status = status
        self.fragment = fragment
        self.prepare = prepare
    }

    /// `synapse train` on a config file with `body` (no data needed: the config fails first).
    static func config(_ name: String, _ fragment: String, _ body: String, _ extra: [String] = []) -> BadInput {
        BadInput(name, 2, fragment) { scene in ["train", try scene.config(body), "--run-dir", scene.run] + extra }
    }

    /// `synapse train` on the small valid config with `--set` arguments.
    static func set(_ name: String, _ fragment: String, _ overrides: [String]) -> BadInput {
        BadInput(name, 2, fragment) { scene in
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run] + overrides.flatMap { ["--set", $0] }
        }
    }

    /// `synapse train` on the small valid config, with the data set damaged by `damage`.
    static func data(_ name: String, _ fragment: String, _ damage: @escaping @Sendable (Scene) throws -> Void) -> BadInput {
        BadInput(name, 2, fragment) { scene in
            try scene.writeDataSet()
            try damage(scene)
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run]
        }
    }

    /// `synapse inspect` on a copy of a real checkpoint, damaged by `damage`.
    static func checkpoint(_ name: String, _ fragment: String, command: String = "inspect",
                           _ damage: @escaping @Sendable (String) throws -> Void) -> BadInput {
        BadInput(name, 2, fragment) { scene in
            let checkpoint = try scene.copyOfCheckpoint()
            try damage(checkpoint)
            return [command, checkpoint]
        }
    }

    /// A safetensors file `model.safetensors` replaced by `bytes`, with state.json updated to
    /// match (size and CRC-32), so the safetensors reader itself meets the damage.
    static func safetensors(_ name: String, _ fragment: String, _ bytes: @escaping @Sendable () -> [UInt8]) -> BadInput {
        checkpoint(name, fragment) { checkpoint in
            try Scene.replace("model.safetensors", in: checkpoint, with: Data(bytes()))
        }
    }

    /// A safetensors file with `header` (JSON text) and `data` bytes after it.
    static func safetensorsFile(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return littleEndian64(UInt64(json.count)) + json + data
    }

    /// The 8 little-endian bytes of `value`.
    static func littleEndian64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    static let table: [BadInput] = configCases + overrideCases + dataCases + checkpointCases + argumentCases

    static let configCases: [BadInput] = [
        BadInput("config file missing", 2, "no such config file") { scene in ["train", scene.dir.file("nope.yaml"), "--run-dir", scene.run] },
        BadInput("config path is a directory", 2, "is a directory") { scene in ["train", scene.dir.path, "--run-dir", scene.run] },
        BadInput("config not UTF-8", 2, "not UTF-8") { scene in
            let path = scene.dir.file("latin1.yaml")
            try Data([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]).write(to: URL(fileURLWithPath: path))
            return ["train", path, "--run-dir", scene.run]
        },
        BadInput("config larger than 4 MiB", 2, "4 MiB") { scene in
            ["train", try scene.config("# " + String(repeating: "x", count: 5 << 20) + "\n"), "--run-dir", scene.run]
        },
        config("unclosed bracket", "YAML syntax error", "name: x\nmodel:\n  hidden: [10\ntrain:\n  epochs: 1\n"),
        config("tab indentation", "spaces, not tabs", "train:\n\tepochs: 3\n"),
        config("top level is a list", "top level must be", "- a\n- b\n"),
        config("top level is a number", "top level must be", "42\n"),
        config("unknown key", "did you mean 'train.epochs'", "train:\n  epoch: 3\n"),
        config("unknown section", "'trainer'", "trainer:\n  epochs: 3\n"),
        config("duplicate key", "epochs", "train:\n  epochs: 3\n  epochs: 4\n"),
        config("text for an integer", "train.epochs", "train:\n  epochs: three\n"),
        config("quoted number", "remove the quotes", "train:\n  batch_size: \"64\"\n"),
        config("list for a number", "optimizer.lr", "optimizer:\n  lr: [0.1]\n"),
        config("negative batch size", "train.batch_size", "train:\n  batch_size: -4\n"),
        config("zero epochs and steps", "train", "train:\n  epochs: 0\n  max_steps: 0\n"),
        config("negative learning rate", "optimizer.lr", "optimizer:\n  lr: -0.1\n"),
        config("dropout above 1", "model.dropout", "model:\n  dropout: 1.5\n"),
        config("unknown optimizer", "optimizer.name", "optimizer:\n  name: adamax\n"),
        config("unknown activation", "model.activation", "model:\n  activation: swish\n"),
        config("hidden width zero", "model.hidden", "model:\n  hidden: [0]\n"),
        config("name with a slash", "name", "name: a/b\n"),
        config("transformer on images", "model.kind", "model:\n  kind: transformer\n"),
        config("text window longer than the context", "data.context",
               "model:\n  kind: transformer\n  context: 16\ndata:\n  dataset: text\n  context: 32\n"),
        config("early stopping without validation", "validation_size",
               "data:\n  validation_size: 0\ntrain:\n  early_stopping: { patience: 3 }\n"),
        config("flow lists 5000 deep", "nests more than 64",
               "model:\n  hidden: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"),
        config("sections 300 deep", "nests more than 64",
               (0..<300).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"),
        config("sequences 3000 deep", "nests more than 64", "model:\n  hidden:\n    " + String(repeating: "- ", count: 3000) + "1\n"),
    ]

    static let overrideCases: [BadInput] = [
        set("--set without =", "expected key=value", ["train.epochs"]),
        set("--set empty key part", "is not a dotted key", [".epochs=3"]),
        set("--set invalid YAML value", "not valid YAML", ["model.hidden=[1"]),
        set("--set missing value", "missing value", ["train.epochs="]),
        set("--set wrong type", "train.epochs", ["train.epochs=abc"]),
        set("--set unknown key", "unknown key", ["train.nope=1"]),
        set("--set below a value", "not a section", ["train.epochs.x=1"]),
        set("--set value nested 5000 deep", "nests more than 64",
            ["model.hidden=" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)]),
        set("--set width near Int.max", "too large to exist", ["model.hidden=[\(Int.max / 2)]"]),
        set("--set width Int.max", "too large to exist", ["model.hidden=[\(Int.max)]"]),
        set("--set model needing 300 GB", "needs about", ["model.hidden=[100000000]"]),
        set("--set batch larger than the data", "train.batch_size", ["train.batch_size=100000"]),
        set("--set accumulate_steps 0", "train.accumulate_steps: must be at least 1", ["train.accumulate_steps=0"]),
        set("--set accumulate_steps not dividing the batch", "must divide train.batch_size (20) into equal micro-batches",
            ["train.accumulate_steps=3"]),
        set("--set bucket_mb 0", "train.bucket_mb: must be a positive size", ["train.bucket_mb=0"]),
        set("--set collective_timeout negative", "train.collective_timeout: must be 0", ["train.collective_timeout=-5"]),
        BadInput("--set KEY then a negative number", 2, "--set train.epochs=-3") { scene in
            ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--set", "train.epochs", "-3"]
        },
        BadInput("--set a negative number", 2, "train.epochs") { scene in
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--set", "train.epochs=-3"]
        },
    ]

    static let dataCases: [BadInput] = [
        data("data directory missing", "does not exist") { scene in try FileManager.default.removeItem(atPath: scene.data) },
        data("data directory empty", "cannot find train-images-idx3-ubyte") { scene in
            for name in try FileManager.default.contentsOfDirectory(atPath: scene.data) {
                try FileManager.default.removeItem(atPath: scene.data + "/" + name)
            }
        },
        data("data path is a file", "cannot find") { scene in
            try FileManager.default.removeItem(atPath: scene.data)
            try Data("x".utf8).write(to: URL(fileURLWithPath: scene.data))
        },
        data("images file not IDX", "not a valid IDX file") { scene in try scene.writeImages(Array("hello world\n".utf8)) },
        data("images file empty", "not a valid IDX file") { scene in try scene.writeImages([]) },
        data("images gzip corrupt", "gzip file is corrupt") { scene in
            try scene.writeImages([0x1f, 0x8b, 0x08, 0x00] + [UInt8](repeating: 0x55, count: 100), raw: true)
        },
        data("images gzip cut short", "gzip file is corrupt") { scene in
            let path = scene.data + "/train-images-idx3-ubyte.gz"
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        },
        data("images IDX float type", "is not supported") { scene in try scene.writeImages([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]) },
        data("images IDX zero dimensions", "0 dimensions") { scene in try scene.writeImages([0, 0, 8, 0]) },
        data("images IDX header cut short", "header") { scene in try scene.writeImages([0, 0, 8, 3, 0, 0]) },
        data("images IDX bad magic", "expected 00 00") { scene in try scene.writeImages([1, 2, 8, 1, 0, 0, 0, 1, 7]) },
        data("images IDX truncated", "truncated") { scene in
            try scene.writeImages(Scene.idx([120, 28, 28], Array(Scene.pixels(120 * 784).prefix(1000))))
        },
        data("images IDX trailing bytes", "more than the 94080 its dimensions [120, 28, 28] declare") { scene in
            try scene.writeImages(Scene.idx([120, 28, 28], Scene.pixels(120 * 784 + 5)), raw: true)
        },
        data("images IDX dimensions overflow", "IDX data") { scene in
            try scene.writeImages([0, 0, 8, 4] + [UInt8](repeating: 0xff, count: 16) + [1, 2, 3])
        },
        data("images gzip bomb", "reading stopped there") { scene in
            // 28×28×120 declared; 50 MB of zeros inflate from a ~50 KB file.
            let header = Scene.idx([120, 28, 28], [])
            try scene.writeImages(header + [UInt8](repeating: 0, count: 50 << 20))
        },
        data("images wrong size", "expected [N, 28, 28]") { scene in try scene.writeImages(Scene.idx([120, 10, 10], Scene.pixels(12_000))) },
        data("labels count differs", "labels for the") { scene in
            try scene.writeLabels(Scene.idx([119], [UInt8](repeating: 1, count: 119)))
        },
        data("label out of range", "outside 0..<10") { scene in
            try scene.writeLabels(Scene.idx([120], [UInt8](repeating: 1, count: 119) + [12]))
        },
        data("labels two-dimensional", "expected [N]") { scene in
            try scene.writeLabels(Scene.idx([120, 1], [UInt8](repeating: 1, count: 120)))
        },
        BadInput("text corpus missing", 2, "data.path") { scene in
            let body = "model: { kind: lstm, hidden_size: 8, embedding: 4, layers: 1 }\n"
                + "data: { dataset: text, path: \(scene.dir.file("none.txt")), context: 8 }\n"
            return ["train", try scene.config(body), "--run-dir", scene.run]
        },
        BadInput("text corpus empty", 2, "empty") { scene in
            try Data().write(to: URL(fileURLWithPath: scene.dir.file("empty.txt")))
            let body = "model: { kind: lstm, hidden_size: 8, embedding: 4, layers: 1 }\n"
                + "data: { dataset: text, path: \(scene.dir.file("empty.txt")), context: 8 }\n"
            return ["train", try scene.config(body), "--run-dir", scene.run]
        },
        BadInput("CIFAR-10 files missing", 2, "CIFAR-10") { scene in
            ["train", try scene.config("data: { dataset: cifar10, path: \(scene.data) }\n"), "--run-dir", scene.run]
        },
        BadInput("CIFAR-10 file not whole records", 2, "whole number of 3073-byte") { scene in
            try FileManager.default.createDirectory(atPath: scene.data, withIntermediateDirectories: true)
            for name in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
                try Data(repeating: 1, count: 3073 * 2 + 7).write(to: URL(fileURLWithPath: scene.data + "/" + name))
            }
            return ["train", try scene.config("data: { dataset: cifar10, path: \(scene.data) }\n"), "--run-dir", scene.run]
        },
        BadInput("CIFAR-10 gzip bomb", 2, "reading stopped there") { scene in
            try FileManager.default.createDirectory(atPath: scene.data, withIntermediateDirectories: true)
            try Scene.gzip([UInt8](repeating: 1, count: 64 << 20), to: scene.data + "/data_batch_1.bin")
            return ["train", try scene.config("data: { dataset: cifar10, path: \(scene.data) }\n"), "--run-dir", scene.run]
        },
    ]

    static let checkpointCases: [BadInput] = [
        BadInput("inspect: no such path", 2, "no checkpoint at") { scene in ["inspect", scene.dir.file("nothing")] },
        BadInput("inspect: a file", 2, "is a file, not a checkpoint") { scene in ["inspect", try scene.config("x: 1\n")] },
        BadInput("inspect: an empty directory", 2, "no checkpoint in") { scene in ["inspect", scene.dir.path] },
        checkpoint("checkpoint without state.json", "incomplete") { try FileManager.default.removeItem(atPath: $0 + "/state.json") },
        checkpoint("state.json not JSON", "state.json") { try Data("{ nope".utf8).write(to: URL(fileURLWithPath: $0 + "/state.json")) },
        checkpoint("model.safetensors missing", "model.safetensors") { try FileManager.default.removeItem(atPath: $0 + "/model.safetensors") },
        checkpoint("model.safetensors bit flip", "corrupt") { checkpoint in
            let url = URL(fileURLWithPath: checkpoint + "/model.safetensors")
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count - 3] ^= 0x10
            try bytes.write(to: url)
        },
        checkpoint("model.safetensors truncated", "corrupt") { checkpoint in
            let url = URL(fileURLWithPath: checkpoint + "/model.safetensors")
            try Data(contentsOf: url).prefix(100).write(to: url)
        },
        safetensors("safetensors shorter than its length field", "too short") { [1, 2, 3] },
        safetensors("safetensors header length beyond the file", "larger than the") {
            littleEndian64(1 << 40) + Array("{}".utf8)
        },
        safetensors("safetensors header length zero", "is zero") { [UInt8](repeating: 0, count: 16) },
        safetensors("safetensors header not JSON", "not a valid JSON object") { safetensorsFile(header: "[1, 2") },
        safetensors("safetensors header nested 100000 deep", "not a valid JSON object") {
            safetensorsFile(header: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        },
        safetensors("safetensors shape product overflows", "too large") {
            safetensorsFile(header: #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 4]}}"#,
                            data: [0, 0, 0, 0])
        },
        safetensors("safetensors offsets beyond the file", "beyond the data section") {
            safetensorsFile(header: #"{"w": {"dtype": "F32", "shape": [1000000], "data_offsets": [0, 4000000]}}"#, data: [0, 0, 0, 0])
        },
        safetensors("safetensors dtype F16", "Synapse reads only F32") {
            safetensorsFile(header: #"{"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        },
        safetensors("safetensors overlapping tensors", "overlaps") {
            safetensorsFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                            data: [0, 0, 0, 0])
        },
        BadInput("train --resume a missing checkpoint", 2, "no such checkpoint") { scene in
            ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--resume", scene.dir.file("nope")]
        },
        BadInput("train --resume a damaged checkpoint", 2, "incomplete") { scene in
            let checkpoint = try scene.copyOfCheckpoint()
            try FileManager.default.removeItem(atPath: checkpoint + "/state.json")
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--resume", checkpoint]
        },
        BadInput("eval a checkpoint with a NaN weight", 2, "NaN or infinite values") { scene in
            try scene.nanCheckpoint()
        },
        BadInput("predict a checkpoint with a NaN weight", 2, "NaN or infinite values") { scene in
            ["predict"] + [try scene.nanCheckpoint()[1], "--first", "1"]
        },
        BadInput("train --resume a checkpoint with a NaN weight", 2, "NaN or infinite values") { scene in
            let checkpoint = try scene.nanCheckpoint()[1]
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--resume", checkpoint]
        },
        BadInput("train model.init_from a checkpoint with a NaN weight", 2, "NaN or infinite values") { scene in
            let checkpoint = try scene.nanCheckpoint()[1]
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--set", "model.init_from=\(checkpoint)"]
        },
        BadInput("eval a damaged checkpoint", 2, "incomplete") { scene in
            let checkpoint = try scene.copyOfCheckpoint()
            try FileManager.default.removeItem(atPath: checkpoint + "/state.json")
            return ["eval", checkpoint]
        },
    ]

    static let argumentCases: [BadInput] = [
        BadInput("unknown subcommand", 2, "Unexpected argument 'fly'") { _ in ["fly"] },
        BadInput("unknown option", 2, "Unknown option '--epochz'") { scene in ["train", try scene.config("x: 1\n"), "--epochz", "3"] },
        BadInput("train without a config", 2, "Missing expected argument") { _ in ["train"] },
        BadInput("--threads not a number", 2, "threads") { scene in ["train", try scene.config(scene.validConfig), "--threads", "many"] },
        BadInput("--threads negative after a space", 2, "threads") { scene in
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", scene.run, "--threads", "-2"]
        },
        BadInput("predict --first negative after a space", 2, "--first must be at least 1, got -3") { scene in
            ["predict", try scene.copyOfCheckpoint(), "--first", "-3"]
        },
        BadInput("predict --top zero", 2, "--top must be at least 1") { scene in ["predict", try scene.copyOfCheckpoint(), "--top", "0"] },
        BadInput("predict unknown split", 2, "unknown split") { scene in ["predict", try scene.copyOfCheckpoint(), "--split", "dev"] },
        BadInput("eval unknown split", 2, "unknown split") { scene in ["eval", try scene.copyOfCheckpoint(), "--split", "dev"] },
        BadInput("verify --steps negative after a space", 2, "--steps must be at least 1, got -2") { scene in
            try scene.writeDataSet()
            return ["verify", try scene.config(scene.validConfig), "--steps", "-2"]
        },
        BadInput("train --run-dir empty", 2, "--run-dir is empty") { scene in
            try scene.writeDataSet()
            return ["train", try scene.config(scene.validConfig), "--run-dir", ""]
        },
        BadInput("plot an empty run directory argument", 2, "is empty") { _ in ["plot", ""] },
        BadInput("plot a missing run directory", 2, "no such run directory") { scene in ["plot", scene.dir.file("nope")] },
        BadInput("plot a directory that is not a run", 2, "a run directory written by") { scene in ["plot", scene.dir.path] },
        BadInput("generate on an image model", 2, "checkpoint") { scene in ["generate", try scene.copyOfCheckpoint()] },
    ]
}

/// A case's scratch directory and the files it may write there.
struct Scene: Sendable {
    let dir: TestDirectory

    /// The run directory every training command is pointed at; it must never appear.
    var run: String { dir.file("run") }
    /// The data directory of the synthetic data set.
    var data: String { dir.file("data") }

    /// A small valid config on the synthetic data set: any error comes from the case.
    var validConfig: String {
        """
        name: table
        model: { hidden: [8] }
        data: { path: \(data), validation_size: 20, train_subset: 100, test_subset: 60 }
        train: { epochs: 1, batch_size: 20, eval_batch_size: 60, log_every: 1 }
        """
    }

    /// Writes `body` to `config.yaml` (or a new name when that exists) and returns its path.
    func config(_ body: String) throws -> String {
        var name = "config.yaml", n = 1
        while FileManager.default.fileExists(atPath: dir.file(name)) { n += 1; name = "config\(n).yaml" }
        return try dir.write(body, to: name)
    }

    /// A valid Fashion-MNIST-shaped data set: 120 training and 60 test images, gzip-compressed.
    func writeDataSet() throws {
        guard !FileManager.default.fileExists(atPath: data) else { return }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for (prefix, n) in [("train", 120), ("t10k", 60)] {
            try Scene.gzip(Scene.idx([n, 28, 28], Scene.pixels(n * 784)), to: data + "/\(prefix)-images-idx3-ubyte.gz")
            try Scene.gzip(Scene.idx([n], (0..<n).map { UInt8($0 % 10) }), to: data + "/\(prefix)-labels-idx1-ubyte.gz")
        }
    }

    /// Replaces the training images (gzip-compressed unless `raw`, which writes the bytes as
    /// given, compressed or not, under the `.gz` name).
    func writeImages(_ bytes: [UInt8], raw: Bool = false) throws {
        let path = data + "/train-images-idx3-ubyte.gz"
        if raw {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } else {
            try Scene.gzip(bytes, to: path)
        }
    }

    /// Replaces the training labels.
    func writeLabels(_ bytes: [UInt8]) throws {
        try Scene.gzip(bytes, to: data + "/train-labels-idx1-ubyte.gz")
    }

    /// `["eval", CHECKPOINT]` for a copy of the real checkpoint whose last model weight is NaN
    /// (state.json updated, so the size and CRC-32 checks pass and the finiteness check is what
    /// refuses it).
    func nanCheckpoint() throws -> [String] {
        let checkpoint = try copyOfCheckpoint()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint + "/model.safetensors"))
        bytes.replaceSubrange(bytes.count - 4 ..< bytes.count, with: [0x00, 0x00, 0xC0, 0x7F])   // quiet NaN
        try Scene.replace("model.safetensors", in: checkpoint, with: bytes)
        return ["eval", checkpoint]
    }

    /// A copy of a real checkpoint (an MLP trained 2 steps on the synthetic data) in this scene.
    func copyOfCheckpoint() throws -> String {
        let template = try Scene.checkpointTemplate.get()
        let copy = dir.file("step-00000002")
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: template, toPath: copy)
        }
        return copy
    }

    /// A real checkpoint, trained once per test process.
    static let checkpointTemplate: Result<String, any Error> = Result(catching: {
        let dir = try TestDirectory("table-checkpoint")   // removed with the test process's root
        let scene = Scene(dir: dir)
        try scene.writeDataSet()
        let result = try SynapseCLI.run(["train", try scene.config(scene.validConfig), "--run-dir", scene.run,
                                         "--set", "train.max_steps=2", "--set", "train.epochs=0"])
        guard result.status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["report": result.report]) }
        let latest = scene.run + "/checkpoints/latest"
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: latest)
        return target.hasPrefix("/") ? target : scene.run + "/checkpoints/" + target
    })

    /// Replaces `name` in `checkpoint` with `data` and updates its size and CRC-32 in state.json.
    static func replace(_ name: String, in checkpoint: String, with data: Data) throws {
        try data.write(to: URL(fileURLWithPath: checkpoint + "/" + name))
        let stateURL = URL(fileURLWithPath: checkpoint + "/state.json")
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateURL)) as? [String: Any])
        var files = try #require(state["files"] as? [String: Any])
        let crc = String(CRC32.checksum(data), radix: 16)
        files[name] = ["bytes": data.count, "crc32": String(repeating: "0", count: 8 - crc.count) + crc]
        state["files"] = files
        try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys]).write(to: stateURL)
    }

    /// An IDX file of unsigned bytes.
    static func idx(_ shape: [Int], _ elements: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 8, UInt8(shape.count)]
        for d in shape { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + elements
    }

    /// `count` pixel values.
    static func pixels(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37) } }

    /// Writes `bytes` gzip-compressed to `path` with the system's gzip.
    static func gzip(_ bytes: [UInt8], to path: String) throws {
        let raw = path + ".raw"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let result = try ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "gzip -n -c \"$0\" > \"$1\"", raw, path], timeout: 60)
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["report": result.report]) }
    }
}

/// Every file under a directory with its contents (links as their targets), to compare.
struct Snapshot: Equatable {
    var entries: [String: Data] = [:]

    init(of root: String) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
                entries[relative] = Data(("link:" + target).utf8)
            } else {
                var isDirectory: ObjCBool = false
                _ = fm.fileExists(atPath: path, isDirectory: &isDirectory)
                entries[relative] = isDirectory.boolValue ? Data("dir".utf8) : (fm.contents(atPath: path) ?? Data("unreadable".utf8))
            }
        }
    }

    /// The paths added, removed or changed, for the failure message.
    func difference(to other: Snapshot) -> [String] {
        Set(entries.keys).union(other.entries.keys).filter { entries[$0] != other.entries[$0] }.sorted()
    }
}
