import Foundation
import Testing

/// `train.distillation` under mpirun: the ranks share the teachers' scoring pass and sum it
/// with one all-reduce, so N ranks train exactly as one rank does (to the float-summation
/// tolerance of `parametersEqualTheSingleRankRun`); a teacher trained on another split stops
/// every rank with one message, before the run directory is created.
extension DistributedTests {
    @Test("distillation: 2 ranks reach the parameters of one rank; a mismatched teacher is refused")
    func distillationUnderMPI() throws {
        let scratch = try DistributedRun.scratchDirectory("distill")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let teacher = scratch.appendingPathComponent("teacher")
        let trained = try DistributedJob(ranks: nil, ["train", DistributedTests.fixtureConfig, "--set", "model.hidden=[96]",
                                                      "--run-dir", teacher.path]).wait(timeout: 60)
        try #require(trained.status == 0, "teacher run failed:\n\(trained.output)")

        let student = ["train", DistributedTests.fixtureConfig, "--set", "train.distillation.teachers=[\(teacher.path)]",
                       "--set", "train.distillation.weight=0.8"]
        let local = scratch.appendingPathComponent("local"), distributed = scratch.appendingPathComponent("np2")
        let alone = try DistributedJob(ranks: nil, student + ["--run-dir", local.path]).wait(timeout: 60)
        try #require(alone.status == 0, "single-rank student failed:\n\(alone.output)")
        #expect(alone.output.contains("distillation: 1 teacher(s) scored the 1920 training images"), "\(alone.output)")
        let underMPI = try DistributedJob(ranks: 2, student + ["--run-dir", distributed.path]).wait(timeout: 60)
        try #require(underMPI.status == 0, "2-rank student exited \(underMPI.status):\n\(underMPI.output)")

        let reference = try DistributedRun.finalParameters(local)
        let parameters = try DistributedRun.finalParameters(distributed)
        #expect(Set(parameters.keys) == Set(reference.keys) && reference.count == 6)
        for (name, expected) in reference.sorted(by: { $0.key < $1.key }) {
            let got = try #require(parameters[name])
            let scale = expected.reduce(0) { max($0, abs($1)) }
            let difference = zip(got, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
            #expect(difference <= 1e-5 * scale, "\(name): max |N=2 − N=1| = \(difference) (max |N=1| = \(scale))")
        }
        // And the teacher changed the training: a plain run ends elsewhere.
        let plain = scratch.appendingPathComponent("plain")
        let plainRun = try DistributedJob(ranks: nil, ["train", DistributedTests.fixtureConfig, "--run-dir", plain.path]).wait(timeout: 60)
        try #require(plainRun.status == 0, "\(plainRun.output)")
        let plainWeights = try DistributedRun.finalParameters(plain)
        let moved = reference.keys.map { k in zip(reference[k]!, plainWeights[k]!).reduce(0) { max($0, abs($1.0 - $1.1)) } }.max()!
        #expect(moved > 1e-3, "distillation changed the weights by only \(moved)")

        // A teacher whose seed drew another validation split: one message, status 2, no run directory.
        let otherSplit = scratch.appendingPathComponent("teacher-seed-8")
        let other = try DistributedJob(ranks: nil, ["train", DistributedTests.fixtureConfig, "--set", "train.seed=8",
                                                    "--set", "train.max_steps=2", "--run-dir", otherSplit.path]).wait(timeout: 60)
        try #require(other.status == 0, "\(other.output)")
        let refusedDir = scratch.appendingPathComponent("refused")
        let refused = try DistributedJob(ranks: 2, ["train", DistributedTests.fixtureConfig,
                                                    "--set", "train.distillation.teachers=[\(otherSplit.path)]",
                                                    "--run-dir", refusedDir.path]).wait(timeout: 60)
        #expect(refused.status == 2, "expected status 2, got \(refused.status):\n\(refused.output)")
        #expect(refused.output.contains("train.seed 8 (here 7)"), "\(refused.output)")
        #expect(refused.output.components(separatedBy: "validation images").count == 2, "one message, not one per rank:\n\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: refusedDir.path), "the run directory was created")
    }
}
