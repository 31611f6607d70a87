import Foundation
import Testing

/// What a distributed job does when something goes wrong: it must end, on every rank, in
/// bounded time, with a message that says what happened and where, and leave the last
/// checkpoint loadable. A hang is the failure these tests exist to catch, so every wait has
/// a deadline.
extension DistributedTests {
    @Test("a rank killed with SIGKILL ends the job within 10 s; the latest checkpoint still loads")
    func killedRankEndsTheJob() throws {
        let scratch = try DistributedRun.scratchDirectory("kill")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let job = try DistributedJob(ranks: 2, ["train", DistributedTests.fixtureConfig, "--run-dir", run.path,
                                                "--set", "train.max_steps=1000000", "--set", "train.checkpoint_every=10"])
        let progressed = job.waitForLoggedStep(30, runDirectory: run, timeout: 60)
        let ranks = job.rankPIDs()
        if progressed, let victim = ranks[1] { kill(victim, SIGKILL) }
        let outcome = job.wait(timeout: 10)
        try #require(progressed, "no training row at step ≥ 30 within 60 s:\n\(outcome.output)")
        try #require(ranks.count == 2, "expected the pids of ranks 0 and 1 below mpirun, found \(ranks)")
        #expect(!outcome.timedOut, "the job was still running 10 s after rank 1 was killed (hang):\n\(outcome.output)")
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("rank 1") && outcome.output.contains("signal 9"),
                "mpirun should name the killed rank and the signal:\n\(outcome.output)")

        let checkpoint = try DistributedRun.latestCheckpoint(run)
        #expect((DistributedRun.step(of: checkpoint) ?? 0) >= 30)
        let eval = try DistributedJob(ranks: nil, ["eval", run.appendingPathComponent("checkpoints/latest").path]).wait(timeout: 60)
        #expect(eval.status == 0, "the latest checkpoint after the kill does not load:\n\(eval.output)")
        #expect(eval.output.contains("test: loss"), "\(eval.output)")
    }

    @Test("a rank with a different config stops the job with an error naming that rank")
    func mismatchedConfigNamesTheRank() throws {
        let scratch = try DistributedRun.scratchDirectory("mismatch")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // b.yaml is the fixture with another learning rate: same shapes, so nothing but the
        // config-hash check (distributed rule 8) can notice.
        let original = try String(contentsOfFile: DistributedTests.fixtureConfig, encoding: .utf8)
        let changed = original.replacingOccurrences(of: "lr: 0.05", with: "lr: 0.1")
        try #require(changed != original, "the fixture no longer has 'lr: 0.05'")
        let b = scratch.appendingPathComponent("b.yaml")
        try changed.write(to: b, atomically: true, encoding: .utf8)
        let run = scratch.appendingPathComponent("run").path

        let outcome = try DistributedJob(apps: [
            .init(ranks: 1, arguments: ["train", DistributedTests.fixtureConfig, "--run-dir", run]),
            .init(ranks: 1, arguments: ["train", b.path, "--run-dir", run]),
        ]).wait(timeout: 30)
        #expect(!outcome.timedOut, "hang: still running after 30 s:\n\(outcome.output)")
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("the resolved config differs between ranks: rank(s) 1 do not match rank 0"),
                "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoints/latest"), "no training may happen")
    }

    @Test("a global batch that does not divide over the ranks is refused before training (exit 2)")
    func nonDivisibleBatchIsAUserError() throws {
        let scratch = try DistributedRun.scratchDirectory("batch")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outcome = try DistributedJob(ranks: 3, ["train", DistributedTests.fixtureConfig, "--set", "train.batch_size=64",
                                                    "--run-dir", scratch.appendingPathComponent("run").path]).wait(timeout: 30)
        #expect(!outcome.timedOut, "hang: still running after 30 s:\n\(outcome.output)")
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.output.contains("train.batch_size = 64 is the GLOBAL batch and must divide evenly over 3 ranks"),
                "\(outcome.output)")
        // Printed once (by rank 0), not once per rank.
        #expect(outcome.output.components(separatedBy: "must divide evenly").count == 2, "\(outcome.output)")
    }

    @Test("a NaN loss on one rank stops all ranks at that step (exit 1); the last checkpoint is intact")
    func nonFiniteLossOnOneRankStopsAll() throws {
        let scratch = try DistributedRun.scratchDirectory("nan")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        // Checkpoints at steps 5 and 10; rank 1 reports NaN at step 12 (hidden test option).
        let outcome = try DistributedJob(ranks: 2, ["train", DistributedTests.fixtureConfig, "--run-dir", run.path,
                                                    "--set", "train.checkpoint_every=5", "--inject-nan", "12:1"]).wait(timeout: 30)
        #expect(!outcome.timedOut, "hang: still running after 30 s:\n\(outcome.output)")
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(outcome.output.contains("the loss became non-finite (NaN or infinity) at step 12 (epoch 1) on rank 1; all ranks stopped"),
                "\(outcome.output)")
        // Stopped together: every rank left through MPI_Finalize; nobody aborted or crashed.
        #expect(!outcome.output.contains("MPI_ABORT") && !outcome.output.contains("exited on signal"), "\(outcome.output)")

        let checkpoint = try DistributedRun.latestCheckpoint(run)
        #expect(checkpoint.lastPathComponent == "step-00000010")
        #expect(outcome.output.contains("The last good checkpoint \(checkpoint.path) is intact"), "\(outcome.output)")
        #expect(DistributedRun.loggedTrainSteps(run) == [10], "no metrics after the bad step")
        let eval = try DistributedJob(ranks: nil, ["eval", checkpoint.path]).wait(timeout: 60)
        #expect(eval.status == 0, "\(eval.output)")
        #expect(eval.output.contains("step 10)"), "\(eval.output)")
    }
}
