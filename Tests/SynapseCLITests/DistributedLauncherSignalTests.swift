import Foundation
import Testing

/// `launch/synapse-mpirun` turns the stop signals a user or a scheduler sends it (SIGTERM,
/// SIGINT, SIGHUP) into SIGUSR1 for mpirun, which Open MPI forwards to every rank: the ranks
/// stop at the same step, save a checkpoint, and the wrapper exits with 75. Sent to a bare
/// mpirun, SIGTERM would kill the ranks and end with mpirun's own status 1.
extension DistributedTests {
    @Test("synapse-mpirun -n 2: SIGTERM → checkpoint saved, exit 75", arguments: [SIGTERM, SIGINT, SIGHUP])
    func launcherTurnsStopSignalsIntoACheckpointAndStatus75(_ signal: Int32) throws {
        let scratch = try DistributedRun.scratchDirectory("launcher-signal-\(signal)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = scratch.appendingPathComponent("run")
        let job = try DistributedJob(launcherRanks: 2, ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=1000",
                                                        "--run-dir", run.path])
        let progressed = job.waitForLoggedStep(20, runDirectory: run, timeout: 60)
        job.send(signal)
        let outcome = job.wait(timeout: 60)
        try #require(progressed, "no training row at step ≥ 20 within 60 s:\n\(outcome.output)")
        #expect(outcome.status == 75, "signal \(signal): expected exit 75 (stopped, checkpoint saved), got \(outcome.status):\n\(outcome.output)")
        #expect(outcome.output.contains("stopped by signal at step"), "\(outcome.output)")
        let checkpoint = try DistributedRun.latestCheckpoint(run)
        let step = try #require(DistributedRun.step(of: checkpoint))
        #expect(step >= 20 && step < 1000, "checkpoint at step \(step)")
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("state.json").path))
    }
}
