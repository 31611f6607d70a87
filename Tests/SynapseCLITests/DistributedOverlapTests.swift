import Foundation
import Testing
import SynapseTestSupport

/// The overlapped, bucketed gradient all-reduce, gradient accumulation and the collective
/// watchdog under a real mpirun.
extension DistributedTests {
    @Test("2 ranks: bucketed all-reduce overlapped with backward ends at the weights of one all-reduce, bit for bit (MLP)")
    func overlappedAllReduceEqualsOneAllReduceMLP() throws {
        let scratch = try DistributedRun.scratchDirectory("overlap-mlp")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The fixture MLP has 52,650 parameters (206 KB): 0.05 MiB buckets cut it into 4.
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=30", "--set", "train.bucket_mb=0.05"]
        let runs = try ["overlap-a": true, "overlap-b": true, "single": false].mapValues { overlap in
            let run = scratch.appendingPathComponent(UUID().uuidString)
            let outcome = try DistributedJob(ranks: 2, arguments + ["--set", "train.overlap=\(overlap)", "--run-dir", run.path]).wait(timeout: 120)
            try #require(outcome.status == 0, "exit \(outcome.status):\n\(outcome.output)")
            return try DistributedRun.finalParameters(run)
        }
        let single = try #require(runs["single"]), a = try #require(runs["overlap-a"]), b = try #require(runs["overlap-b"])
        #expect(Set(single.keys) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(a == single, "overlapped and single all-reduce differ: \(maxDifference(a, single))")
        #expect(a == b, "two overlapped runs differ: \(maxDifference(a, b))")
    }

    @Test("2 ranks: a Transformer (tied embedding) with overlapped buckets ends at the weights of one all-reduce, bit for bit")
    func overlappedAllReduceEqualsOneAllReduceTransformer() throws {
        let scratch = try DistributedRun.scratchDirectory("overlap-gpt")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let corpus = scratch.appendingPathComponent("corpus.txt")
        try Data(CLITextTests.corpus().utf8).write(to: corpus)
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-transformer-char.yaml").path
        let arguments = ["train", config, "--set", "data.path=\(corpus.path)", "--set", "data.context=16", "--set", "model.context=16",
                         "--set", "model.width=32", "--set", "model.layers=2", "--set", "train.batch_size=8",
                         "--set", "train.max_steps=30", "--set", "train.bucket_mb=0.01"]
        var finals: [Bool: [String: [Float]]] = [:]
        for overlap in [true, false] {
            let run = scratch.appendingPathComponent("overlap-\(overlap)")
            let outcome = try DistributedJob(ranks: 2, arguments + ["--set", "train.overlap=\(overlap)", "--run-dir", run.path]).wait(timeout: 180)
            try #require(outcome.status == 0, "exit \(outcome.status):\n\(outcome.output)")
            finals[overlap] = try DistributedRun.finalParameters(run)
        }
        let overlapped = try #require(finals[true]), single = try #require(finals[false])
        #expect(overlapped.keys.contains("tok.weight") && overlapped.keys.contains("blocks.1.qkv.weight"), "\(overlapped.keys.sorted())")
        #expect(overlapped == single, "overlapped and single all-reduce differ: \(maxDifference(overlapped, single))")
    }

    @Test("2 ranks: fully connected gradients sent as factors (gradient_exchange) ends within float rounding of the all-reduce; overlapped and after backward bit for bit")
    func factoredExchangeMatchesAllReduce() throws {
        let scratch = try DistributedRun.scratchDirectory("factors")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=30", "--set", "train.bucket_mb=0.05"]
        var finals: [String: [String: [Float]]] = [:]
        for (name, settings) in [("factors", ["factors", "true"]), ("factors-after", ["factors", "false"]), ("allreduce", ["allreduce", "true"])] {
            let run = scratch.appendingPathComponent(name)
            let outcome = try DistributedJob(ranks: 2, arguments + ["--set", "train.gradient_exchange=\(settings[0])",
                                                                    "--set", "train.overlap=\(settings[1])", "--run-dir", run.path]).wait(timeout: 120)
            try #require(outcome.status == 0, "\(name): exit \(outcome.status):\n\(outcome.output)")
            if settings[0] == "factors" {
                #expect(outcome.output.contains("the gradients of fc1.weight, fc2.weight, fc3.weight cross the ranks as factors"), "\(outcome.output)")
            }
            finals[name] = try DistributedRun.finalParameters(run)
        }
        let factors = try #require(finals["factors"]), after = try #require(finals["factors-after"]), reduced = try #require(finals["allreduce"])
        #expect(factors == after, "factors overlapped and after backward differ: \(maxDifference(factors, after))")
        for (name, expected) in reduced {
            let values = try #require(factors[name])
            let scale = max(expected.map(abs).max() ?? 0, 0.05)
            let difference = zip(values, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5 * scale, "\(name): max |factors − all-reduce| = \(difference), scale \(scale)")
        }
    }

    @Test("2 ranks × 2 micro-batches (accumulate_steps) reach the weights of 1 rank with the batch at once")
    func accumulationOnTwoRanksEqualsOneRank() throws {
        let scratch = try DistributedRun.scratchDirectory("accumulate")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=20"]
        let local = scratch.appendingPathComponent("np1"), accumulated = scratch.appendingPathComponent("np2k2")
        let alone = try DistributedJob(ranks: nil, arguments + ["--run-dir", local.path]).wait(timeout: 120)
        try #require(alone.status == 0, "\(alone.output)")
        let job = try DistributedJob(ranks: 2, arguments + ["--set", "train.accumulate_steps=2", "--run-dir", accumulated.path]).wait(timeout: 120)
        try #require(job.status == 0, "\(job.output)")
        let reference = try DistributedRun.finalParameters(local), got = try DistributedRun.finalParameters(accumulated)
        for (name, expected) in reference {
            let values = try #require(got[name])
            let scale = max(expected.map(abs).max() ?? 0, 0.05)
            let difference = zip(values, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-5 * scale, "\(name): max |np2 K2 − np1| = \(difference), scale \(scale)")
        }
    }

    /// A training job of `ranks` ranks under the watchdog (`train.collective_timeout: limit`),
    /// checkpointing every 10 steps, whose rank `victim` is stopped with SIGSTOP once step 20 is
    /// logged. Requires that it got there; returns the run directory, how the job ended (it is
    /// given `limit` + 40 s), and the seconds from the stop to the end.
    private func jobWithAStoppedRank(_ name: String, ranks: Int, victim: Int, limit: Int, _ extra: [String] = [])
        throws -> (run: URL, scratch: URL, outcome: DistributedJob.Outcome, elapsed: TimeInterval) {
        let scratch = try DistributedRun.scratchDirectory(name)
        let run = scratch.appendingPathComponent("run")
        let job = try DistributedJob(ranks: ranks, ["train", DistributedTests.fixtureConfig, "--run-dir", run.path,
                                                    "--set", "train.max_steps=1000000", "--set", "train.checkpoint_every=10",
                                                    "--set", "train.collective_timeout=\(limit)"] + extra)
        let progressed = job.waitForLoggedStep(20, runDirectory: run, timeout: 90)
        let pids = job.rankPIDs()
        let stoppedAt = Date()
        if progressed, let pid = pids[victim] { kill(pid, SIGSTOP) }
        let outcome = job.wait(timeout: TimeInterval(limit + 40))
        let elapsed = Date().timeIntervalSince(stoppedAt)
        try #require(progressed, "no training row at step ≥ 20 within 90 s:\n\(outcome.output)")
        try #require(pids.count == ranks, "expected the pids of \(ranks) ranks below mpirun, found \(pids)")
        #expect(!outcome.timedOut, "the job was still running \(limit + 40) s after rank \(victim) was stopped (the watchdog did not fire):\n\(outcome.output)")
        #expect(outcome.status == 1, "\(outcome.output)")
        return (run, scratch, outcome, elapsed)
    }

    @Test("a rank stopped with SIGSTOP: the watchdog aborts the job after train.collective_timeout, exit 1, naming the step; the checkpoint loads")
    func watchdogAbortsAJobWithAStoppedRank() throws {
        let (run, scratch, outcome, elapsed) = try jobWithAStoppedRank("watchdog", ranks: 2, victim: 1, limit: 5, ["--set", "train.bucket_mb=0.01"])
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(elapsed >= 5 && elapsed < 30, "the job ended \(elapsed) s after the stop; the limit was 5 s")
        #expect(outcome.output.contains("collective timeout: rank 0 waited 5"), "\(outcome.output)")
        #expect(outcome.output.contains("rank 1 did not arrive"), "\(outcome.output)")
        #expect(outcome.output.range(of: #"in the gradient all-reduce \(\d+ buckets?, overlapped with backward\) at step \d+ \(epoch \d+\)"#, options: .regularExpression) != nil
                || outcome.output.contains("after step"), "the message names the step and the operation:\n\(outcome.output)")
        #expect(outcome.output.contains("MPI_Iallreduce"), "\(outcome.output)")

        let checkpoint = try DistributedRun.latestCheckpoint(run)
        #expect((DistributedRun.step(of: checkpoint) ?? 0) >= 20)
        #expect(outcome.output.contains("The last good checkpoint \(checkpoint.path) is intact"), "\(outcome.output)")
        let eval = try DistributedJob(ranks: nil, ["eval", checkpoint.path]).wait(timeout: 60)
        #expect(eval.status == 0, "the latest checkpoint after the abort does not load:\n\(eval.output)")
    }

    @Test("3 ranks, rank 2 stopped with SIGSTOP: the waiting ranks' roll call names rank 2 as the one that did not arrive")
    func watchdogNamesTheStoppedRankOfThree() throws {
        let (_, scratch, outcome, elapsed) = try jobWithAStoppedRank("watchdog-3", ranks: 3, victim: 2, limit: 4)
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(elapsed >= 4 && elapsed < 30, "the job ended \(elapsed) s after the stop; the limit was 4 s (+ at most 4 s of roll call)")
        #expect(outcome.output.contains("rank 2 did not arrive"), "\(outcome.output)")
        #expect(!outcome.output.contains("one or more of the other"), "\(outcome.output)")
    }

    /// The largest difference between two sets of tensors, for messages.
    private func maxDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> String {
        let worst = a.keys.sorted().map { name in
            (name, zip(a[name]!, b[name] ?? []).map { abs($0 - $1) }.max() ?? .infinity)
        }.max { $0.1 < $1.1 }
        return worst.map { "\($0.0): \($0.1)" } ?? "none"
    }
}
