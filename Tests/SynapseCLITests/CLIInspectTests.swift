import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// `synapse inspect`: the report on the short run's checkpoint, and damaged checkpoints.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIInspectTests {
    @Test func reportsTheFinalCheckpointOfTheShortRun() throws {
        let run = try ShortRun.finished()
        let result = try SynapseCLI.run(["inspect", run.directory])
        try #require(result.status == 0, "\(result.report)")
        let out = result.stdout
        #expect(out.contains("checkpoint  \(run.finalCheckpoint)"), "\(result.report)")
        #expect(out.contains("step \(ShortRun.steps), epoch \(ShortRun.epochs) complete; 1 rank, seed "), "\(result.report)")
        #expect(out.contains("run         fashion-mlp: mlp 784-256-128-10 on fashion-mnist, 3 epochs of global batch 64"),
                "\(result.report)")
        #expect(out.contains("model.safetensors: 6 tensors, 235146 values"), "784·256+256 + 256·128+128 + 128·10+10\n\(out)")
        // The row of fc3.bias agrees with the tensor read independently from the file.
        let model = try SafeTensorsFile(contentsOf: run.finalCheckpoint + "/model.safetensors")
        let bias = try model.floats(named: "fc3.bias")
        let row = try #require(out.split(separator: "\n").first { $0.hasPrefix("  fc3.bias ") }, "\(out)")
        let cells = row.split(separator: " ").map(String.init)
        #expect(cells[1...2] == ["[10]", "10"], "\(row)")
        let mean = bias.reduce(0.0) { $0 + Double($1) } / 10
        #expect(abs(try #require(Double(cells[5])) - mean) <= 1e-3 * max(1e-3, abs(mean)), "\(row) vs mean \(mean)")
        #expect(cells[3] == String(format: "%.4g", Double(bias.min()!)), "\(row)")
        #expect(cells.last == "0", "no non-finite values\n\(row)")
        #expect(out.contains("optimizer.safetensors: "), "\(out)")
        // keep_checkpoints 3: the two older ones are listed and verify.
        #expect(out.contains("\(CheckpointStore.directoryName(step: 2 * ShortRun.steps / ShortRun.epochs))  verified"), "\(out)")
    }

    @Test func aCorruptOlderCheckpointIsFlaggedAndACorruptTargetRefused() throws {
        let dir = try TestDirectory("inspect-corrupt")
        defer { dir.remove() }
        let older = 2 * ShortRun.steps / ShortRun.epochs
        let (runDir, bad) = try corruptedCopyOfShortRun(of: "model.safetensors", in: dir, step: older)
        let report = try SynapseCLI.run(["inspect", runDir])
        try #require(report.status == 0, "the latest checkpoint is intact\n\(report.report)")
        #expect(report.stdout.contains("\(CheckpointStore.directoryName(step: older))  NOT loadable: "), "\(report.report)")
        #expect(report.stdout.contains("checksum"), "\(report.report)")

        let refused = try SynapseCLI.run(["inspect", bad])
        expectUserError(refused, mentions: [bad, "model.safetensors", "checksum"])
        #expect(refused.stdout.isEmpty, "nothing is reported from a corrupt checkpoint\n\(refused.report)")
        expectUserError(try SynapseCLI.run(["inspect", dir.file("nowhere")]), mentions: [dir.file("nowhere"), "does not exist"])
    }
}
