import Foundation
import Testing
import SynapseCore
import SynapseTestSupport

/// The `synapse` binary replaces OpenBLAS's generic kernels on a CPU they undersell (it
/// restarts itself with OPENBLAS_CORETYPE set), and leaves a user's own choice alone.
@Suite(.enabled(if: SynapseCLI.binary != nil && SynapseCLI.hasFashionMNIST,
                "needs the built synapse binary and the Fashion-MNIST files"))
struct CLIKernelSelectionTests {
    /// The `blasCore` field of a tiny `synapse bench --json` run, and the run's standard output.
    func benchCore(environment: [String: String] = [:]) throws -> (core: String, stdout: String) {
        let result = try ProcessRunner.run(try #require(SynapseCLI.binary),
                                           ["bench", "--steps", "2", "--warmup", "1", "--json"],
                                           environment: environment, timeout: 120)
        #expect(result.status == 0, "\(result.report)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
        let report = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any]
        return (try #require(report?["blasCore"] as? String, "\(result.report)"), result.stdout)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
                   "OPENBLAS_CORETYPE is set for this test run"))
    func kernelsMatchTheCPU() throws {
        let flags = BLASKernelSelection.cpuFlags(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        let (core, stdout) = try benchCore()
        // Whatever OpenBLAS detected, the kernels the run used must not be improvable.
        #expect(BLASKernelSelection.betterCoreType(detected: core, cpuFlags: flags) == nil,
                "ran with \(core) kernels on a CPU with flags \(flags.sorted().prefix(40))")
        if let detected = BLASKernelSelection.betterCoreType(detected: BLASKernelSelection.coreName, cpuFlags: flags) {
            // This test process itself got the generic kernels: the binary must have switched and said so.
            #expect(core == detected)
            #expect(stdout.contains("note: OpenBLAS chose its \(BLASKernelSelection.coreName) kernels"), "\(stdout)")
        }
    }

    @Test func aUsersChoiceIsKept() throws {
        let (core, stdout) = try benchCore(environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(core == "Prescott")
        #expect(!stdout.contains("OpenBLAS chose"), "\(stdout)")
    }
}

/// `synapse bench --config`: the model of a training config, and a clear error for a bad file.
@Suite(.enabled(if: SynapseCLI.binary != nil && SynapseCLI.hasFashionMNIST,
                "needs the built synapse binary and the Fashion-MNIST files"))
struct CLIBenchConfigTests {
    @Test func benchmarksTheConfigsModel() throws {
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/fashion-cnn.yaml").path
        let result = try SynapseCLI.run(["bench", "--config", config, "--steps", "2", "--warmup", "1", "--batch", "8"])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("model        cnn conv [32, 64] k5 bn fc [], 83562 parameters"), "\(result.report)")
        // Both conv layers timed alone, the first without an input gradient.
        #expect(result.stdout.contains("conv layer   conv1 1→32 5×5 on 28×28"), "\(result.report)")
        #expect(result.stdout.contains("conv layer   conv2 32→64 5×5 on 14×14"), "\(result.report)")
        #expect(result.stdout.contains("of this core's sgemm rate"), "\(result.report)")
    }

    @Test func aMissingConfigIsAUserError() throws {
        let directory = try TestDirectory("bench-config")
        let result = try SynapseCLI.run(["bench", "--config", directory.file("nope.yaml")], timeout: 60)
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stderr.contains("nope.yaml"), "\(result.report)")
    }
}

/// `synapse bench --config` with a text config: the config's own model, text and optimizer,
/// its batch per rank, and tokens/s (samples × context) in the report.
@Suite(.enabled(if: SynapseCLI.binary != nil, "needs the built synapse binary"))
struct CLIBenchTextTests {
    @Test func benchmarksATextConfigInTokens() throws {
        let directory = try TestDirectory("bench-text")
        defer { directory.remove() }
        let corpus = try directory.write(CLITextTests.corpus(), to: "corpus.txt")
        let config = try directory.write("""
            name: tiny-lstm
            model: {kind: lstm, embedding: 16, hidden_size: 32, layers: 1}
            data: {dataset: text, path: \(corpus), context: 16}
            train: {batch_size: 8, grad_clip_norm: 1.0}
            optimizer: {name: adam, lr: 0.002}
            """, to: "tiny.yaml")
        let result = try SynapseCLI.run(["bench", "--config", config, "--steps", "3", "--warmup", "1", "--json"], timeout: 120)
        #expect(result.status == 0, "\(result.report)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any])
        #expect(report["perRankBatch"] as? Int == 8 && report["context"] as? Int == 16, "\(report)")
        let samples = try #require(report["samplesPerSec"] as? Double), tokens = try #require(report["tokensPerSec"] as? Double)
        #expect(abs(tokens - 16 * samples) <= 1e-6 * tokens, "\(report)")
        #expect((report["optimizer"] as? String)?.hasPrefix("adam") == true, "\(report)")

        let text = try SynapseCLI.run(["bench", "--config", config, "--steps", "2", "--warmup", "1"], timeout: 120)
        #expect(text.status == 0 && text.stdout.contains("tokens/s"), "\(text.report)")
    }
}
