import Foundation
import Testing

/// Data-parallel training across several hosts, for real: each host is a network namespace on
/// this machine (`.ci/netns-hosts`, `MultiHostCluster`), mpirun runs on host 1 through
/// `launch/synapse-mpirun --hostfile`, starts a daemon on every other host through a launch
/// agent instead of ssh, and the ranks all-reduce over TCP on the hosts' subnet. The same
/// checks as on one machine — same training, exact resume — plus what only several machines
/// have: a rank or a daemon lost on another host, a network link that goes dead.
///
/// Extensions of `DistributedTests`, so they run one at a time with the other MPI jobs.
/// Skipped, saying why, where namespaces cannot be made (not root, no iproute2).
extension DistributedTests {
    /// The mpirun-based tests' fixture run for `steps` steps into `runDirectory`.
    static func fixtureArguments(steps: Int, runDirectory: URL, _ extra: [String] = []) -> [String] {
        ["train", fixtureConfig, "--set", "train.max_steps=\(steps)", "--run-dir", runDirectory.path] + extra
    }

    /// Largest |a − b| / max|b| over the tensors of two runs' final `file`; records an issue
    /// for a tensor missing from `got`.
    static func largestRelativeDifference(_ got: URL, _ reference: URL, file: String = "model.safetensors",
                                          sourceLocation: SourceLocation = #_sourceLocation) throws -> Float {
        let expected = try DistributedRun.finalParameters(reference, file: file)
        let actual = try DistributedRun.finalParameters(got, file: file)
        #expect(Set(actual.keys) == Set(expected.keys), sourceLocation: sourceLocation)
        var worst: Float = 0
        for (name, values) in expected {
            guard let other = actual[name], other.count == values.count else {
                Issue.record("\(name) missing or of another size in \(got.path)", sourceLocation: sourceLocation)
                continue
            }
            let scale = max(values.reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
            worst = max(worst, zip(other, values).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale)
        }
        return worst
    }

    @Test("2 hosts × 1 rank and 4 hosts × 1 rank reach the parameters of 1 host × 2 and × 4 ranks",
          .enabled(if: MultiHostCluster.unavailableReason == nil, Comment(rawValue: MultiHostCluster.unavailableReason ?? "")),
          arguments: [2, 4])
    func hostsEqualRanksOnOneHost(hosts: Int) throws {
        let scratch = try DistributedRun.scratchDirectory("hosts-equal-\(hosts)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let across = scratch.appendingPathComponent("hosts"), oneHost = scratch.appendingPathComponent("one-host")
        let cluster = try MultiHostCluster(hosts: hosts)

        let multi = try cluster.job(ranks: hosts, Self.fixtureArguments(steps: 20, runDirectory: across)).wait(timeout: 90)
        try #require(multi.status == 0, "\(hosts) hosts × 1 rank exited \(multi.status):\n\(multi.output)")
        let placement = cluster.ranksByHost(in: multi.output)
        #expect(placement == Dictionary(uniqueKeysWithValues: (1...hosts).map { ($0, Set([$0 - 1])) }),
                "each host must run one rank (rank K-1 on host K), mpirun's map says \(placement):\n\(multi.output)")
        #expect(multi.output.contains("\(hosts) rank(s) × batch \(96 / hosts) = global batch 96"), "\(multi.output)")
        // Across machines, train.gradient_exchange: auto sends the first layer (784 × 64, 96 / hosts rows per rank) as factors.
        #expect(multi.output.contains("the gradients of fc1.weight cross the ranks as factors (train.gradient_exchange: auto)"),
                "\(multi.output)")

        let local = try DistributedJob(ranks: hosts, Self.fixtureArguments(steps: 20, runDirectory: oneHost)).wait(timeout: 90)
        try #require(local.status == 0, "1 host × \(hosts) ranks exited \(local.status):\n\(local.output)")
        #expect(!local.output.contains("as factors"), "one machine: all-reduced\n\(local.output)")

        let difference = try Self.largestRelativeDifference(across, oneHost)
        print("multi-host: \(hosts) hosts × 1 rank vs 1 host × \(hosts) ranks, 20 steps: max relative parameter difference \(difference)")
        #expect(difference <= 1e-5, "max relative |\(hosts) hosts − 1 host| over the parameters = \(difference)")
        let a = try #require(DistributedRun.testRow(across)), b = try #require(DistributedRun.testRow(oneHost))
        #expect(abs(a.loss - b.loss) <= 1e-5 * b.loss && abs(a.accuracy - b.accuracy) <= 1.0 / 480,
                "test rows: \(hosts) hosts \(a) vs 1 host \(b)")
    }

    /// Stopped on 2 hosts by SIGUSR1 to the launcher (what Slurm's `--signal=B:USR1@120` leads
    /// to), then resumed twice from copies of the stopped run: on the same 2 hosts, and on 1 host
    /// with 2 ranks (another layout, the same rank count). Both must end byte-identical to a run
    /// on 2 hosts that was never stopped. Dropout is on, so masks, data order and momentum must
    /// all continue exactly.
    @Test("stopped on 2 hosts; resumed on 2 hosts, and on 1 host × 2 ranks: both bit-exact",
          .enabled(if: MultiHostCluster.unavailableReason == nil, Comment(rawValue: MultiHostCluster.unavailableReason ?? "")))
    func resumeAcrossHostsAndLayoutsIsBitExact() throws {
        let scratch = try DistributedRun.scratchDirectory("hosts-resume")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stoppedRun = scratch.appendingPathComponent("stopped"), sameLayout = scratch.appendingPathComponent("same-layout")
        let otherLayout = scratch.appendingPathComponent("other-layout"), straight = scratch.appendingPathComponent("straight")
        let cluster = try MultiHostCluster(hosts: 2)
        // 10 epochs of 20 steps; the signal, sent once step 20 is logged, lands long before the end.
        let total = 200
        let extra = ["--set", "model.dropout=0.2"]

        let first = try cluster.job(ranks: 2, Self.fixtureArguments(steps: total, runDirectory: stoppedRun, extra))
        let progressed = first.waitForLoggedStep(20, runDirectory: stoppedRun, timeout: 60)
        first.send(SIGUSR1)
        let stopped = first.wait(timeout: 60)
        try #require(progressed, "no training row at step ≥ 20 within 60 s:\n\(stopped.output)")
        try #require(stopped.status == 75, "expected exit 75 (stopped, checkpoint saved), got \(stopped.status):\n\(stopped.output)")
        #expect(cluster.ranksByHost(in: stopped.output) == [1: [0], 2: [1]], "\(stopped.output)")
        let savedStep = try #require(DistributedRun.step(of: DistributedRun.latestCheckpoint(stoppedRun)))
        try #require(savedStep >= 20 && savedStep < total, "checkpoint at step \(savedStep): the signal came too late to test a resume")
        // The stopped run, twice: the run directory holds the lock and the metrics of one run each.
        for copy in [sameLayout, otherLayout] { try FileManager.default.copyItem(at: stoppedRun, to: copy) }

        let resumedHosts = try cluster.job(ranks: 2, Self.fixtureArguments(steps: total, runDirectory: sameLayout, extra + ["--resume", "auto"]))
            .wait(timeout: 120)
        try #require(resumedHosts.status == 0, "resume on 2 hosts exited \(resumedHosts.status):\n\(resumedHosts.output)")
        #expect(resumedHosts.output.contains("resumed at step \(savedStep) "), "\(resumedHosts.output)")
        let resumedLocal = try DistributedJob(ranks: 2, Self.fixtureArguments(steps: total, runDirectory: otherLayout, extra + ["--resume", "auto"]))
            .wait(timeout: 120)
        try #require(resumedLocal.status == 0, "resume on 1 host × 2 ranks exited \(resumedLocal.status):\n\(resumedLocal.output)")
        #expect(resumedLocal.output.contains("resumed at step \(savedStep) "), "\(resumedLocal.output)")
        let reference = try cluster.job(ranks: 2, Self.fixtureArguments(steps: total, runDirectory: straight, extra)).wait(timeout: 120)
        try #require(reference.status == 0, "uninterrupted run on 2 hosts exited \(reference.status):\n\(reference.output)")

        let straightEnd = try DistributedRun.latestCheckpoint(straight)
        #expect(DistributedRun.step(of: straightEnd) == total)
        for (resumed, layout) in [(sameLayout, "2 hosts × 1 rank"), (otherLayout, "1 host × 2 ranks")] {
            let end = try DistributedRun.latestCheckpoint(resumed)
            #expect(DistributedRun.step(of: end) == total, "\(layout): ended at \(end.lastPathComponent)")
            for file in ["model.safetensors", "optimizer.safetensors"] {
                let a = try Data(contentsOf: end.appendingPathComponent(file))
                let b = try Data(contentsOf: straightEnd.appendingPathComponent(file))
                #expect(a.count > 1000 && a == b,
                        "\(file): stopped at step \(savedStep) on 2 hosts, resumed on \(layout), differs from the uninterrupted run")
            }
            let resumedTest = DistributedRun.testRow(resumed), straightTest = DistributedRun.testRow(straight)
            #expect(resumedTest != nil && resumedTest?.loss == straightTest?.loss && resumedTest?.accuracy == straightTest?.accuracy,
                    "\(layout): test rows: resumed \(String(describing: resumedTest)) vs uninterrupted \(String(describing: straightTest))")
        }
    }
}
