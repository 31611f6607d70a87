import Foundation
import Testing
import SynapseData
import SynapseTestSupport

/// Missing and damaged dataset files, as `synapse train` meets them: one message naming the
/// file and the fix, exit status 2, no metrics or checkpoints left behind.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct CLIDataErrorTests {
    /// Trains with `data.path` set to `dataDirectory` and checks the run left no record.
    private func train(dataDirectory: String, in dir: TestDirectory,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let runDir = dir.file("run")
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", runDir,
                                         "--set", "data.path=\(dataDirectory)"] + SynapseCLI.subset)
        expectNoRunOutputs(in: runDir, sourceLocation: sourceLocation)
        return result
    }

    /// A directory holding links to the real Fashion-MNIST files, except the ones `replace`
    /// writes itself.
    private func damagedCopy(in dir: TestDirectory, replace: (String) throws -> Void) throws -> String {
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try replace(data)
        for name in SynapseCLI.fashionMNISTFiles {
            let target = data + "/" + name
            let raw = String(name.dropLast(3))
            guard !FileManager.default.fileExists(atPath: target), !FileManager.default.fileExists(atPath: data + "/" + raw)
            else { continue }
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: SynapseCLI.fashionMNISTDirectory + "/" + name)
        }
        return data
    }

    @Test func emptyDataDirectoryNamesThePathsTriedThePackageAndTheKey() throws {
        let dir = try TestDirectory("no-data")
        defer { dir.remove() }
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try train(dataDirectory: empty, in: dir)
        expectUserError(result, mentions: [empty + "/train-images-idx3-ubyte.gz", empty + "/train-images-idx3-ubyte",
                                           "dataset-fashion-mnist", "data.path"])
    }

    @Test func missingDataDirectoryIsTheSameUserError() throws {
        let dir = try TestDirectory("no-data-dir")
        defer { dir.remove() }
        let result = try train(dataDirectory: dir.file("nowhere"), in: dir)
        expectUserError(result, mentions: [dir.file("nowhere"), "dataset-fashion-mnist", "data.path"])
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"),
          arguments: [1_000, 100_000, 4_000_000])
    func truncatedGzipNamesTheFileAndTheFix(keptBytes: Int) throws {
        let dir = try TestDirectory("truncated-gz")
        defer { dir.remove() }
        let name = "train-images-idx3-ubyte.gz"
        let data = try damagedCopy(in: dir) { data in
            let whole = try Data(contentsOf: URL(fileURLWithPath: SynapseCLI.fashionMNISTDirectory + "/" + name))
            try whole.prefix(keptBytes).write(to: URL(fileURLWithPath: data + "/" + name))
        }
        let result = try train(dataDirectory: data, in: dir)
        expectUserError(result, mentions: [data + "/" + name, "corrupt or truncated", "reinstall"])
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func truncatedRawIDXNamesTheFileTheSizesAndTheFix() throws {
        let dir = try TestDirectory("truncated-raw")
        defer { dir.remove() }
        // The labels unpacked by hand (no .gz), cut in the middle of the data: 8-byte header
        // + 60,000 labels, of which 29,992 remain.
        let raw = "train-labels-idx1-ubyte"
        let data = try damagedCopy(in: dir) { data in
            let whole = try Gzip.readFile(atPath: SynapseCLI.fashionMNISTDirectory + "/" + raw + ".gz")
            try Data(whole.prefix(30_000)).write(to: URL(fileURLWithPath: data + "/" + raw))
        }
        let result = try train(dataDirectory: data, in: dir)
        expectUserError(result, mentions: [data + "/" + raw, "truncated", "60000", "29992", "download it again"])
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func recompressedTruncatedTestImagesAreCaughtToo() throws {
        // A valid gzip stream of an incomplete IDX file: gzip is happy, the IDX sizes are not.
        let dir = try TestDirectory("truncated-inner")
        defer { dir.remove() }
        let name = "t10k-images-idx3-ubyte"
        let data = try damagedCopy(in: dir) { data in
            let whole = try Gzip.readFile(atPath: SynapseCLI.fashionMNISTDirectory + "/" + name + ".gz")
            try Data(whole.prefix(16 + 28 * 28 * 10)).write(to: URL(fileURLWithPath: data + "/" + name))
            let gzip = try ProcessRunner.run(URL(fileURLWithPath: "/bin/gzip"), ["-n", data + "/" + name])
            try #require(gzip.status == 0, "\(gzip.report)")
        }
        let result = try train(dataDirectory: data, in: dir)
        expectUserError(result, mentions: [data + "/" + name + ".gz", "truncated", "[10000, 28, 28]"])
    }

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func fileThatIsNotIDXNamesTheFile() throws {
        let dir = try TestDirectory("not-idx")
        defer { dir.remove() }
        let raw = "train-labels-idx1-ubyte"
        let data = try damagedCopy(in: dir) { data in
            try Data("hello, world\n".utf8).write(to: URL(fileURLWithPath: data + "/" + raw))
        }
        let result = try train(dataDirectory: data, in: dir)
        expectUserError(result, mentions: [data + "/" + raw, "not a valid IDX file"])
    }
}
