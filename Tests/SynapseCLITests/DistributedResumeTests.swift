import Foundation
import Testing

/// Preemption and exact resume at 2 ranks: SIGUSR1 to mpirun (what Slurm's
/// `--signal=B:USR1@120` leads to) stops every rank at the same step with a checkpoint and exit
/// status 75; `--resume auto` then continues, and the final parameters and optimizer state are
/// byte-for-byte those of a run that was never interrupted. Dropout is on, so this also checks
/// that dropout masks, data order and momentum continue exactly.
extension DistributedTests {
    @Test("SIGUSR1 → checkpoint, exit 75 → --resume auto ends bit-identical to an uninterrupted run")
    func resumeAfterSignalIsBitExact() throws {
        let scratch = try DistributedRun.scratchDirectory("resume")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let interrupted = scratch.appendingPathComponent("interrupted"), straight = scratch.appendingPathComponent("straight")
        // 50 epochs of 20 steps (a validation pass and a checkpoint each): the signal, sent once
        // step 20 is logged, lands long before the end (~0.5 s of training on an idle machine).
        let total = 1000
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=\(total)",
                         "--set", "model.dropout=0.2"]

        let first = try DistributedJob(ranks: 2, arguments + ["--run-dir", interrupted.path])
        let progressed = first.waitForLoggedStep(20, runDirectory: interrupted, timeout: 60)
        first.send(SIGUSR1)
        let stopped = first.wait(timeout: 60)
        try #require(progressed, "no training row at step ≥ 20 within 60 s:\n\(stopped.output)")
        try #require(stopped.status == 75, "expected exit 75 (stopped, checkpoint saved), got \(stopped.status):\n\(stopped.output)")
        #expect(stopped.output.contains("stopped by signal at step"), "\(stopped.output)")
        let checkpoint = try DistributedRun.latestCheckpoint(interrupted)
        let savedStep = try #require(DistributedRun.step(of: checkpoint))
        try #require(savedStep >= 20 && savedStep < total, "checkpoint at step \(savedStep): the signal came too late to test a resume")

        let resumed = try DistributedJob(ranks: 2, arguments + ["--run-dir", interrupted.path, "--resume", "auto"]).wait(timeout: 120)
        try #require(resumed.status == 0, "resume exited \(resumed.status):\n\(resumed.output)")
        #expect(resumed.output.contains("resumed at step \(savedStep) "), "\(resumed.output)")

        let reference = try DistributedJob(ranks: 2, arguments + ["--run-dir", straight.path]).wait(timeout: 120)
        try #require(reference.status == 0, "uninterrupted run exited \(reference.status):\n\(reference.output)")

        let resumedEnd = try DistributedRun.latestCheckpoint(interrupted), straightEnd = try DistributedRun.latestCheckpoint(straight)
        #expect(DistributedRun.step(of: resumedEnd) == total && DistributedRun.step(of: straightEnd) == total)
        for file in ["model.safetensors", "optimizer.safetensors"] {
            let a = try Data(contentsOf: resumedEnd.appendingPathComponent(file))
            let b = try Data(contentsOf: straightEnd.appendingPathComponent(file))
            #expect(a.count > 1000 && a == b, "\(file) after stop at step \(savedStep) + resume differs from the uninterrupted run")
        }
        let resumedTest = DistributedRun.testRow(interrupted), straightTest = DistributedRun.testRow(straight)
        #expect(resumedTest != nil && resumedTest?.loss == straightTest?.loss && resumedTest?.accuracy == straightTest?.accuracy,
                "test rows: resumed \(String(describing: resumedTest)) vs uninterrupted \(String(describing: straightTest))")
    }

    /// The moving average of the weights is read by rank 0 and must reach rank 1, which scores
    /// its half of the test split with it. Resumed 10 steps before the end, where the average
    /// still weighs the resumed state by (210/220)^9 ≈ 2/3 (the warm-up ramp forgets faster
    /// earlier on), so a rank that resumed with a wrong average changes the test row.
    @Test("2 ranks: the moving average of the weights resumes exactly")
    func movingAverageResumesOnEveryRank() throws {
        let scratch = try DistributedRun.scratchDirectory("resume-ema")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let straight = scratch.appendingPathComponent("straight"), resumedRun = scratch.appendingPathComponent("resumed")
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=210", "--set", "train.ema_decay=0.999"]
        let reference = try DistributedJob(ranks: 2, arguments + ["--run-dir", straight.path]).wait(timeout: 120)
        try #require(reference.status == 0, "uninterrupted run exited \(reference.status):\n\(reference.output)")
        let epochEnd = straight.appendingPathComponent("checkpoints/step-00000200")
        let resumed = try DistributedJob(ranks: 2, arguments + ["--run-dir", resumedRun.path, "--resume", epochEnd.path])
            .wait(timeout: 120)
        try #require(resumed.status == 0, "resume exited \(resumed.status):\n\(resumed.output)")
        #expect(resumed.output.contains("resumed at step 200 "), "\(resumed.output)")
        let a = try Data(contentsOf: DistributedRun.latestCheckpoint(resumedRun).appendingPathComponent("ema.safetensors"))
        let b = try Data(contentsOf: DistributedRun.latestCheckpoint(straight).appendingPathComponent("ema.safetensors"))
        #expect(a.count > 1000 && a == b, "rank 0's average after the resume differs")
        let resumedTest = DistributedRun.testRow(resumedRun), straightTest = DistributedRun.testRow(straight)
        #expect(resumedTest != nil && resumedTest?.loss == straightTest?.loss && resumedTest?.accuracy == straightTest?.accuracy,
                "test rows: resumed \(String(describing: resumedTest)) vs uninterrupted \(String(describing: straightTest))")
    }
}
