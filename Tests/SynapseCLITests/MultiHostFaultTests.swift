import Foundation
import Testing

/// What a user sees when another machine fails mid-run. Each fault hits host 2 of a 2-host
/// job (one rank per host) after the checkpoint at step 30; the job must end — never hang —
/// within 30 s with a non-zero status, Open MPI's report plus synapse-mpirun's one-line
/// explanation, nothing left running on host 2, and a last checkpoint that loads.
enum HostFault: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// SIGKILL to the rank on host 2 (the out-of-memory killer, an administrator).
    case killRank = "rank on host 2 killed with SIGKILL"
    /// Host 2's cable pulled: its switch port goes down and stays down.
    case linkDown = "link to host 2 down"
    /// SIGKILL to Open MPI's daemon (orted) on host 2.
    case killDaemon = "daemon on host 2 killed"

    var testDescription: String { rawValue }

    /// Text that must appear in the output: Open MPI's words, then the launcher's.
    var expectedMessages: [String] {
        switch self {
        case .killRank:
            return ["rank 1", "on node 10.77.0.2 exited on signal 9",
                    "synapse-mpirun: the job failed (status 137): a rank was killed by signal 9 (SIGKILL)"]
        case .linkDown, .killDaemon:
            return ["lost communication with a remote daemon", "on node 10.77.0.2",
                    "synapse-mpirun: the job failed (status 205): mpirun lost contact with the daemon of another machine"]
        }
    }
}

extension DistributedTests {
    @Test("a fault on host 2 ends the job within 30 s with a clear message; the last checkpoint loads",
          .enabled(if: MultiHostCluster.unavailableReason == nil, Comment(rawValue: MultiHostCluster.unavailableReason ?? "")),
          arguments: HostFault.allCases)
    func faultOnAnotherHostEndsTheJob(_ fault: HostFault) throws {
        let scratch = try DistributedRun.scratchDirectory("host-fault")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let cluster = try MultiHostCluster(hosts: 2)
        let job = try cluster.job(ranks: 2, Self.fixtureArguments(steps: 1_000_000, runDirectory: run,
                                                                  ["--set", "train.checkpoint_every=10"]))
        let progressed = job.waitForLoggedStep(30, runDirectory: run, timeout: 60)
        var victims: [pid_t] = []
        if progressed {
            switch fault {
            case .killRank:
                victims = cluster.rankPIDs(onHost: 2)
                if victims.count == 1 { kill(victims[0], SIGKILL) }
            case .killDaemon:
                victims = cluster.daemonPIDs(onHost: 2)
                if victims.count == 1 { kill(victims[0], SIGKILL) }
            case .linkDown:
                victims = [0]
                try cluster.setLink(host: 2, up: false)
            }
        }
        let outcome = job.wait(timeout: 30)
        try #require(progressed, "no training row at step ≥ 30 within 60 s:\n\(outcome.output)")
        try #require(victims.count == 1, "expected exactly one process to kill on host 2, found \(victims)")
        print("multi-host fault: \(fault.rawValue) → exit status \(outcome.status) after \(String(format: "%.1f", outcome.secondsWaited)) s")
        #expect(!outcome.timedOut, "the job was still running 30 s after: \(fault.rawValue) (hang):\n\(outcome.output)")
        #expect(outcome.status != 0 && outcome.status != 75, "\(fault.rawValue): exit status \(outcome.status)")
        for message in fault.expectedMessages {
            #expect(outcome.output.contains(message), "\(fault.rawValue): no '\(message)' in the output:\n\(outcome.output)")
        }

        // Nothing of the job may outlive it on host 2 (an orphaned rank would hold its memory
        // and cores on a real machine). Open MPI's daemon reaps them within a moment.
        var leftovers = cluster.processes(onHost: 2)
        let deadline = Date().addingTimeInterval(10)
        while !leftovers.isEmpty && Date() < deadline {
            usleep(100_000)
            leftovers = cluster.processes(onHost: 2)
        }
        #expect(leftovers.isEmpty, "\(fault.rawValue): processes still running on host 2 after the job ended: \(leftovers)")

        let checkpoint = try DistributedRun.latestCheckpoint(run)
        #expect((DistributedRun.step(of: checkpoint) ?? 0) >= 30, "\(checkpoint.path)")
        let eval = try DistributedJob(ranks: nil, ["eval", run.appendingPathComponent("checkpoints/latest").path]).wait(timeout: 60)
        #expect(eval.status == 0, "\(fault.rawValue): the latest checkpoint does not load:\n\(eval.output)")
        #expect(eval.output.contains("test: loss"), "\(eval.output)")
    }
}

extension DistributedTests {
    /// A link that comes back within the keepalive window is no failure: the ranks wait in their
    /// all-reduce and carry on. No step may complete while the link is down (which also proves
    /// the ranks' traffic really crosses it).
    @Test("host 2's link down for 3 s, then up: the job pauses, carries on and finishes (exit 0)",
          .enabled(if: MultiHostCluster.unavailableReason == nil, Comment(rawValue: MultiHostCluster.unavailableReason ?? "")))
    func shortLinkOutageIsNotAFailure() throws {
        let scratch = try DistributedRun.scratchDirectory("host-flap")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let cluster = try MultiHostCluster(hosts: 2)
        let total = 200
        let job = try cluster.job(ranks: 2, Self.fixtureArguments(steps: total, runDirectory: run))
        let progressed = job.waitForLoggedStep(20, runDirectory: run, timeout: 60)
        var stepsWhileDown: [Int] = []
        if progressed {
            try cluster.setLink(host: 2, up: false)
            // A row may be on its way when the cable is pulled: count from a moment later.
            usleep(300_000)
            let before = DistributedRun.loggedTrainSteps(run).max() ?? 0
            usleep(2_700_000)
            stepsWhileDown = DistributedRun.loggedTrainSteps(run).filter { $0 > before }
            try cluster.setLink(host: 2, up: true)
        }
        let outcome = job.wait(timeout: 90)
        try #require(progressed, "no training row at step ≥ 20 within 60 s:\n\(outcome.output)")
        #expect(stepsWhileDown.isEmpty, "steps \(stepsWhileDown) were logged while host 2's link was down: the traffic does not cross it")
        #expect(outcome.status == 0, "exit \(outcome.status) after a 3 s outage:\n\(outcome.output)")
        #expect(DistributedRun.loggedTrainSteps(run).max() == total, "training rows end at \(DistributedRun.loggedTrainSteps(run).max() ?? 0)")
    }
}
