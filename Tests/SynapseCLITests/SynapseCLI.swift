import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Runs the built `synapse` binary for the end-to-end tests, and the paths they share.
enum SynapseCLI {
    /// The `synapse` executable next to the test bundle (see `ProcessRunner.builtProduct`).
    static let binary: URL? = ProcessRunner.builtProduct(named: "synapse")

    /// `configs/fashion-mlp.yaml` of this package.
    static let fashionConfig = ProcessRunner.packageRoot.appendingPathComponent("configs/fashion-mlp.yaml").path

    /// Where Debian's dataset-fashion-mnist puts the IDX files.
    static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// The four Fashion-MNIST files.
    static let fashionMNISTFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                    "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    /// Whether the real Fashion-MNIST files are installed (tests that train need them).
    static let hasFashionMNIST = fashionMNISTFiles.allSatisfy {
        FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/" + $0)
    }

    /// Overrides for a short run on a subset: 5,000 training samples (78 steps of 64 per
    /// epoch), 1,000 for validation, 2,000 test samples.
    static let subset = ["--set", "data.train_subset=6000", "--set", "data.validation_size=1000",
                         "--set", "data.test_subset=2000"]

    /// Runs `synapse arguments...` and returns what it did.
    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> ProcessResult {
        try ProcessRunner.run(try #require(binary, "the synapse binary is not built"), arguments, timeout: timeout)
    }

    /// Starts `synapse arguments...` without waiting for it.
    static func start(_ arguments: [String]) throws -> RunningProcess {
        try ProcessRunner.start(try #require(binary, "the synapse binary is not built"), arguments)
    }
}

/// A fresh directory under this test process's own temporary root; the root is removed when
/// the process exits, so even directories shared between tests do not pile up in /tmp.
struct TestDirectory: Sendable {
    /// The directory's path.
    let path: String

    /// Creates `<root>/<label>-<uuid>`.
    init(_ label: String) throws {
        path = TestDirectory.root + "/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `path/name` and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    /// Deletes the directory.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    private static let root: String = {
        let root = NSTemporaryDirectory() + "synapse-cli-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestDirectory.root) }
        return root
    }()
}

/// Expects `result` to be a user error as the CLI reports it: exit status 2 and one `error:`
/// line on standard error that contains each of `mentions` (the file, the key, the value, the fix).
func expectUserError(_ result: ProcessResult, mentions: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 2, "expected exit status 2\n\(result.report)", sourceLocation: sourceLocation)
    #expect(!result.timedOut && !result.endedBySignal, "\(result.report)", sourceLocation: sourceLocation)
    let errorLines = result.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error:") }
    #expect(errorLines.count == 1, "expected exactly one error line\n\(result.report)", sourceLocation: sourceLocation)
    for text in mentions {
        #expect(result.stderr.contains(text), "stderr does not mention '\(text)'\n\(result.report)",
                sourceLocation: sourceLocation)
    }
}

/// Expects that a failed run left no training record in `runDirectory`: no metrics files and
/// no checkpoints (the directory itself may be missing, or hold only the resolved config).
func expectNoRunOutputs(in runDirectory: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for name in ["metrics.jsonl", "metrics.csv", "checkpoints"] {
        let path = runDirectory + "/" + name
        #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left behind", sourceLocation: sourceLocation)
    }
}

/// The `metrics.jsonl` rows of a run directory, each decoded as a JSON object.
func metricsRows(in runDirectory: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: runDirectory + "/metrics.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }
}

/// The tensors of a safetensors file as (name → raw Float bit patterns), so two files compare
/// bit-exactly whatever their metadata says.
func tensorBits(_ path: String) throws -> [String: [UInt32]] {
    let file = try SafeTensorsFile(contentsOf: path)
    var out: [String: [UInt32]] = [:]
    for name in file.names { out[name] = try file.floats(named: name).map(\.bitPattern) }
    return out
}
