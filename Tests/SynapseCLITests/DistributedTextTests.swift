import Foundation
import Testing
import SynapseTestSupport

/// A text run is the same training on 2 ranks as on 1: the windows of each global batch are
/// drawn from (seed, step) alone and split by rows, and validation windows are sharded with
/// every window counted once. The same for the character LSTM and the Transformer.
extension DistributedTests {
    @Test("a character LSTM on 2 ranks reaches the weights of 1 rank")
    func textRunOnTwoRanksEqualsOneRank() throws {
        try expectTwoRanksEqualOne("text-lstm", ["--set", "model.hidden_size=32", "--set", "model.embedding=8",
                                                 "--set", "model.dropout=0"], showing: "lstm.weight_hh_l1")
    }

    @Test("a character Transformer on 2 ranks reaches the weights of 1 rank")
    func transformerRunOnTwoRanksEqualsOneRank() throws {
        try expectTwoRanksEqualOne("text-transformer-char", ["--set", "model.width=32", "--set", "model.layers=2",
                                                        "--set", "model.context=16"], showing: "blocks.1.qkv.weight")
    }

    /// Trains `configs/NAME.yaml` (made small by `overrides`) for 20 steps on 1 rank and on 2;
    /// every parameter (`showing` among them) and the validation loss must agree to 1e-5.
    private func expectTwoRanksEqualOne(_ name: String, _ overrides: [String], showing parameter: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let scratch = try DistributedRun.scratchDirectory("\(name)-equal")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corpus = scratch.appendingPathComponent("corpus.txt")
        try Data(CLITextTests.corpus().utf8).write(to: corpus)
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/\(name).yaml").path
        let arguments = ["train", config, "--set", "data.path=\(corpus.path)", "--set", "data.context=16",
                         "--set", "train.batch_size=8", "--set", "train.max_steps=20"] + overrides
        let local = scratch.appendingPathComponent("np1"), distributed = scratch.appendingPathComponent("np2")
        let alone = try DistributedJob(ranks: nil, arguments + ["--run-dir", local.path]).wait(timeout: 120)
        try #require(alone.status == 0, "single-rank run failed:\n\(alone.output)", sourceLocation: sourceLocation)
        let underMPI = try DistributedJob(ranks: 2, arguments + ["--run-dir", distributed.path]).wait(timeout: 120)
        try #require(underMPI.status == 0, "2-rank run exited \(underMPI.status):\n\(underMPI.output)", sourceLocation: sourceLocation)
        let reference = try DistributedRun.finalParameters(local), parameters = try DistributedRun.finalParameters(distributed)
        #expect(Set(parameters.keys) == Set(reference.keys) && reference.keys.contains(parameter), "\(reference.keys.sorted())",
                sourceLocation: sourceLocation)
        for (name, expected) in reference {
            let got = try #require(parameters[name], sourceLocation: sourceLocation)
            // A floor on the scale: Adam moves every parameter by about lr per step whatever its
            // gradient's size, so a bias that started at 0 (scale ~ steps × lr) carries the
            // rounding of a summation order as a relative 1e-4, not 1e-5.
            let scale = max(expected.reduce(0) { max($0, abs($1)) }, 0.05)
            let difference = zip(got, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
            #expect(difference <= 1e-5 * scale, "\(name): max |N=2 − N=1| = \(difference), scale \(scale)", sourceLocation: sourceLocation)
        }
        let val: (URL) -> Double? = { run in
            DistributedRun.metricsRows(run).last { $0["split"] as? String == "val" }?["loss"] as? Double
        }
        let v1 = try #require(val(local), sourceLocation: sourceLocation), v2 = try #require(val(distributed), sourceLocation: sourceLocation)
        #expect(abs(v1 - v2) <= 1e-5 * v1, "validation loss \(v2) on 2 ranks vs \(v1) on 1", sourceLocation: sourceLocation)
    }

    @Test("verify: a character LSTM on 2 ranks agrees with one rank")
    func verifyTextUnderMPI() throws {
        let scratch = try DistributedRun.scratchDirectory("text-verify")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corpus = scratch.appendingPathComponent("corpus.txt")
        try Data(CLITextTests.corpus().utf8).write(to: corpus)
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        let result = try DistributedJob(ranks: 2, ["verify", config, "--set", "data.path=\(corpus.path)", "--set", "model.hidden_size=32",
                                                   "--set", "train.batch_size=8", "--steps", "3"]).wait(timeout: 120)
        #expect(result.status == 0 && result.output.contains("PASS: 2 ranks train the same model as 1 rank"), "\(result.output)")
        #expect(result.output.contains("lstm.weight_hh_l1") && result.output.contains("embed.weight"), "\(result.output)")
    }

    @Test("verify: a character Transformer on 2 ranks agrees with one rank")
    func verifyTransformerUnderMPI() throws {
        let scratch = try DistributedRun.scratchDirectory("transformer-verify")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corpus = scratch.appendingPathComponent("corpus.txt")
        try Data(CLITextTests.corpus().utf8).write(to: corpus)
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-transformer-char.yaml").path
        let result = try DistributedJob(ranks: 2, ["verify", config, "--set", "data.path=\(corpus.path)", "--set", "model.width=32",
                                                   "--set", "model.layers=2", "--set", "train.batch_size=8", "--steps", "3"]).wait(timeout: 120)
        #expect(result.output.contains("PASS: 2 ranks train the same model as 1 rank"), "\(result.output)")
        #expect(result.status == 0 && result.output.contains("blocks.1.fc2.weight") && result.output.contains("tok.weight"), "\(result.output)")
    }
}
