import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Ctrl-C (SIGINT) and a closed terminal (SIGHUP) stop a run like SIGTERM: at a step
/// boundary, with a checkpoint, exit status 75, and `--resume auto` continues from it. A
/// second Ctrl-C quits at once with 130. The processes start with default signal handlers
/// and an empty signal mask (`DistributedJob`), as from a shell.
@Suite(.serialized,
       .enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLISignalTests {
    /// Waits until `condition` holds or `job` ends (at most 120 s); true when it held.
    private func waitFor(_ job: DistributedJob, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while job.isRunning && Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return condition()
    }

    /// Starts a long run, sends `signal` once its first checkpoint exists, and expects exit
    /// 75 with a checkpoint that `--resume auto` continues from to the end.
    private func expectStopsWithACheckpoint(on signal: Int32, name: String) throws {
        let dir = try TestDirectory("signal-\(name)")
        defer { dir.remove() }
        let run = dir.file("run")
        let arguments = ["train", SmallRun.config, "--run-dir", run, "--set", "train.checkpoint_every=10"]
        let job = try DistributedJob(ranks: nil, arguments + ["--set", "train.max_steps=1000000"])
        let started = waitFor(job) { FileManager.default.fileExists(atPath: run + "/checkpoints/latest") }
        try #require(started && job.isRunning, "training did not get under way\n\(job.output)")
        job.send(signal)
        let stopped = job.wait(timeout: 60)
        try #require(stopped.status == 75, "\(name): expected exit status 75 (stopped, checkpoint saved)\n\(stopped.output)")
        #expect(stopped.output.contains("stopped by signal at step"), "\(stopped.output)")
        let step = try CheckpointStore.load(path: run).state.step
        #expect(step >= 10 && step < 1_000_000, "stopped at step \(step)")

        let resumed = try SynapseCLI.run(arguments + ["--set", "train.max_steps=\(step + 20)", "--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.report)")
        #expect(resumed.stdout.contains("resumed at step \(step)"), "\(resumed.report)")
        #expect(try CheckpointStore.load(path: run).state.step == step + 20)
    }

    @Test func sigintStopsWithACheckpointAndResumeAutoContinues() throws {
        try expectStopsWithACheckpoint(on: SIGINT, name: "SIGINT")
    }

    @Test func sighupStopsWithACheckpointAndResumeAutoContinues() throws {
        try expectStopsWithACheckpoint(on: SIGHUP, name: "SIGHUP")
    }

    @Test func aSecondSigintQuitsAtOnceWithoutACheckpoint() throws {
        let dir = try TestDirectory("signal-twice")
        defer { dir.remove() }
        let run = dir.file("run")
        // Steps of a few seconds each (a 2048-2048 MLP on a batch of 1920), so both signals
        // land inside the first step, before any checkpoint could be written.
        let job = try DistributedJob(ranks: nil, ["train", SmallRun.config, "--run-dir", run,
                                                  "--set", "model.hidden=[2048, 2048]", "--set", "train.batch_size=1920",
                                                  "--set", "train.max_steps=5"])
        try #require(waitFor(job) { job.output.contains("parameters on") }, "training did not start\n\(job.output)")
        job.send(SIGINT)
        try #require(waitFor(job) { job.output.contains("press Ctrl-C again") }, "\(job.output)")
        job.send(SIGINT)
        let quit = job.wait(timeout: 30)
        #expect(quit.status == 130, "expected exit status 130\n\(quit.output)")
        #expect(quit.output.contains("quitting now without a checkpoint"), "\(quit.output)")
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoints/latest"), "\(quit.output)")
    }
}
