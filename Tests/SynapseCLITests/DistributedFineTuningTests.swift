import Foundation
import Testing

/// `model.init_from` and `train.freeze` under mpirun: rank 0 reads the source and broadcasts
/// it, so N ranks fine-tune exactly as one rank does (to the float-summation tolerance of the
/// other N-vs-1 tests) and the frozen layer is the source's, bit for bit, on every rank count; a
/// missing source stops every rank with one message, before the run directory is created.
extension DistributedTests {
    @Test("fine-tuning: 2 ranks reach the parameters of one rank; a missing source is refused once")
    func fineTuningUnderMPI() throws {
        let scratch = try DistributedRun.scratchDirectory("finetune")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let source = scratch.appendingPathComponent("source")
        let pretrained = try DistributedJob(ranks: nil, ["train", DistributedTests.fixtureConfig, "--run-dir", source.path])
            .wait(timeout: 60)
        try #require(pretrained.status == 0, "source run failed:\n\(pretrained.output)")

        // 784-64-16-10 from 784-64-32-10: fc1 copied and frozen, fc2 and fc3.weight fresh.
        let fineTune = ["train", DistributedTests.fixtureConfig, "--set", "model.hidden=[64, 16]",
                        "--set", "model.init_from=\(source.path)", "--set", "train.freeze=[fc1]"]
        let local = scratch.appendingPathComponent("local"), distributed = scratch.appendingPathComponent("np2")
        let alone = try DistributedJob(ranks: nil, fineTune + ["--run-dir", local.path]).wait(timeout: 60)
        try #require(alone.status == 0, "single-rank fine-tuning failed:\n\(alone.output)")
        #expect(alone.output.contains("copied 3 of 6 parameter tensors"), "\(alone.output)")
        let underMPI = try DistributedJob(ranks: 2, fineTune + ["--run-dir", distributed.path]).wait(timeout: 60)
        try #require(underMPI.status == 0, "2-rank fine-tuning exited \(underMPI.status):\n\(underMPI.output)")
        #expect(underMPI.output.components(separatedBy: "model.init_from: started from").count == 2,
                "rank 0 alone reports the source:\n\(underMPI.output)")

        let original = try DistributedRun.finalParameters(source)
        let reference = try DistributedRun.finalParameters(local)
        let parameters = try DistributedRun.finalParameters(distributed)
        #expect(Set(parameters.keys) == Set(reference.keys) && reference.count == 6)
        for run in [reference, parameters] {
            let frozenKept = run["fc1.weight"]?.map(\.bitPattern) == original["fc1.weight"]?.map(\.bitPattern)
                && run["fc1.bias"]?.map(\.bitPattern) == original["fc1.bias"]?.map(\.bitPattern)
            #expect(frozenKept, "the frozen layer is not the source's")
        }
        for (name, expected) in reference.sorted(by: { $0.key < $1.key }) {
            let got = try #require(parameters[name])
            let scale = expected.reduce(0) { max($0, abs($1)) }
            let difference = zip(got, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
            #expect(difference <= 1e-5 * scale, "\(name): max |N=2 − N=1| = \(difference) (max |N=1| = \(scale))")
        }

        let refusedDir = scratch.appendingPathComponent("refused"), missing = scratch.appendingPathComponent("never-trained")
        let refused = try DistributedJob(ranks: 2, ["train", DistributedTests.fixtureConfig, "--set", "model.init_from=\(missing.path)",
                                                    "--run-dir", refusedDir.path]).wait(timeout: 60)
        #expect(refused.status == 2, "expected status 2, got \(refused.status):\n\(refused.output)")
        #expect(refused.output.components(separatedBy: "model.init_from: cannot load \(missing.path)").count == 2,
                "one message, not one per rank:\n\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: refusedDir.path), "the run directory was created")
    }
}
