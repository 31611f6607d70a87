import Foundation
import SynapseCore
import SynapseComm

extension ConfigError: UserFacingError {}

/// One `synapse train` invocation from start to end: load and check everything the user
/// gave (config, data, resume point and its checkpoint, pretrained weights, teachers, run
/// directory lock) BEFORE anything is written, then train, then print the summary table.
///
/// The order is the point: a refused run leaves no trace. The first write (the lock file of
/// a new run directory and config.yaml) comes after the last check, including the restore
/// of the checkpoint a run resumes from, whose optimizer, shapes and values can still refuse it.
///
/// Every step that can fail on one rank only is wrapped in `agreeOnSuccess`, so a bad input
/// stops all ranks with one message instead of leaving some waiting in a collective.
public final class TrainingSession {
    /// The resolved config.
    public let config: Config
    /// The ranks.
    public let comm: any Communicator
    /// The run directory.
    public let runDirectory: URL
    /// Checkpoint to resume from, if any.
    public let resumePoint: URL?
    /// The stop flag set by SIGTERM, SIGUSR1, SIGINT or SIGHUP.
    public let stopSignal: StopSignal
    private let trainer: Trainer
    private let console: Console
    /// Rank 0's exclusive lock on the run directory, held until the run ends (nil elsewhere).
    private var lock: RunDirectoryLock?

    /// Loads `configPath` with `overrides`, prepares data, model and run directory.
    /// - Parameters:
    ///   - configPath: the YAML config file.
    ///   - overrides: `--set KEY=VALUE` overrides, applied in order.
    ///   - runDirectory: nil for runs/<name>; an empty string is refused (it would mean the
    ///     current directory).
    ///   - resume: nil (fresh run), "auto" (RUN_DIR's latest checkpoint if any), or a path.
    ///   - comm: the ranks of the job.
    ///   - stopSignal: the signals that stop the run at a step boundary.
    ///   - faultInjection: test aid only (see `FaultInjection`); nil in real runs.
    public init(configPath: String, overrides: [String], runDirectory: String?, resume: String?,
                comm: any Communicator, stopSignal: StopSignal = StopSignal(),
                faultInjection: FaultInjection? = nil) throws {
        self.comm = comm
        self.stopSignal = stopSignal
        let sync = DistributedSync(comm: comm)
        console = Console(rank: comm.rank)
        let config = try sync.agreeOnSuccess("reading the config") { () throws -> Config in
            if let runDirectory { try DirectoryArgument.requireNonEmpty(runDirectory, named: "--run-dir") }
            return try ConfigLoader.load(path: configPath, overrides: overrides)
        }
        self.config = config
        let runDir = URL(fileURLWithPath: runDirectory ?? config.runDirectory)
        self.runDirectory = runDir
        // Another run in this directory is found first, before its checkpoints are read. An
        // existing lock file is locked without writing anything; a new directory gets one
        // only with the first write, below.
        var lock = try sync.agreeOnSuccess("locking the run directory \(runDir.path)") { () throws -> RunDirectoryLock? in
            guard comm.isRoot else { return nil }
            return try RunDirectoryLock.holdingExisting(in: runDir)
        }
        resumePoint = try TrainingSession.agreeOnResumePoint(resume, runDirectory: runDir, sync: sync)
        trainer = try sync.agreeOnSuccess("loading the data and building the model") {
            try Trainer(config: config, comm: comm, runDirectory: runDir, stopSignal: stopSignal)
        }
        trainer.replica.faultInjection = faultInjection
        // A bad init_from checkpoint or teacher stops the run before the run directory is
        // touched, and so does a checkpoint to resume from that cannot be restored (another
        // vocabulary, optimizer or model, non-finite values): `prepare` restores it now.
        try trainer.prepare(resumeFrom: resumePoint)
        try sync.agreeOnSuccess("preparing the run directory \(runDir.path)") {
            guard comm.isRoot else { return }
            lock = try TrainingSession.prepareRunDirectory(runDir, config: config, lock: lock)
        }
        self.lock = lock
    }

    /// Trains and prints the summary (rank 0).
    public func run() throws -> TrainingSummary {
        defer { lock?.release(); lock = nil }
        let summary = try trainer.run(resumeFrom: resumePoint)
        printSummary(summary)
        return summary
    }

    /// Resolves `--resume` on rank 0 and tells every rank the verdict. Only rank 0 looks at
    /// the run directory: on several machines the others may not see it (it need not be on a
    /// shared file system, since rank 0 alone reads the checkpoint and broadcasts it). Were
    /// each rank to look for itself, `--resume auto` would resume on rank 0 and start afresh
    /// elsewhere, and the ranks would wait in different collectives for ever.
    ///
    /// On the other ranks the returned URL only says "resume" (and names the checkpoint in
    /// messages); they never open it.
    static func agreeOnResumePoint(_ resume: String?, runDirectory: URL, sync: DistributedSync) throws -> URL? {
        let comm = sync.comm
        let resolved = try sync.agreeOnSuccess("finding the checkpoint to resume from") { () throws -> URL? in
            guard comm.isRoot else { return nil }
            return try TrainingSession.resolveResume(resume, runDirectory: runDirectory, isRoot: true)
        }
        guard comm.size > 1, let resume else { return resolved }
        let resumes = try comm.allReduce([resolved == nil ? 0 : 1], op: .max)[0] > 0
        guard resumes else { return nil }
        return resolved ?? (resume == "auto"
            ? runDirectory.appendingPathComponent(CheckpointStore.directoryName).appendingPathComponent(CheckpointStore.latestName)
            : URL(fileURLWithPath: resume))
    }

    /// Resolves `--resume`: "auto" means RUN_DIR's latest checkpoint if one exists (fresh
    /// start otherwise); any other value must be an existing checkpoint.
    static func resolveResume(_ resume: String?, runDirectory: URL, isRoot: Bool) throws -> URL? {
        guard let resume else { return nil }
        if resume == "auto" {
            let checkpoints = runDirectory.appendingPathComponent(CheckpointStore.directoryName)
            let latest = checkpoints.appendingPathComponent(CheckpointStore.latestName)
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: latest.path)) != nil
                || FileManager.default.fileExists(atPath: latest.path) {
                if isRoot { _ = try CheckpointStore.load(path: latest.path) }
                return latest
            }
            if isRoot { Console(rank: 0).print("--resume auto: no checkpoint in \(checkpoints.path) yet; starting a fresh run") }
            return nil
        }
        guard FileManager.default.fileExists(atPath: resume) else {
            throw UserError("--resume \(resume): no such checkpoint. Pass a checkpoint directory (RUN_DIR/checkpoints/step-NNNNNNNN), "
                            + "RUN_DIR/checkpoints/latest, or 'auto'")
        }
        // Verify it now (rank 0 reads the files), so a corrupt or wrong path stops the run
        // before the run directory is touched; the trainer reads it again when it restores.
        if isRoot { _ = try CheckpointStore.load(path: resume) }
        return URL(fileURLWithPath: resume)
    }

    /// Takes the run directory's lock (creating the directory and the lock file when `lock`
    /// is nil), records this process in it, and writes the resolved config: the first writes
    /// of a run. Returns the lock, to be held until the run ends.
    static func prepareRunDirectory(_ dir: URL, config: Config, lock: RunDirectoryLock?) throws -> RunDirectoryLock {
        do {
            let held = try lock ?? RunDirectoryLock.acquire(in: dir)
            held.recordHolder()
            try AtomicFile.write(Data(config.resolvedYAML().utf8), to: dir.appendingPathComponent("config.yaml").path)
            return held
        } catch let error as UserError {
            throw error
        } catch {
            if let code = FileOperationError.systemCode(of: error), FileOperationError.storageFailureCodes.contains(code) {
                // The place is right but the storage failed (full, I/O error, read-only): a
                // run-time failure (exit status 1), not bad input.
                throw TrainingFailure("cannot write the run directory \(dir.path): \(String(cString: strerror(code))). "
                                      + "Free space (or remount the file system read-write) and run again, or choose "
                                      + "another place with --run-dir DIR")
            }
            throw UserError("cannot write the run directory \(dir.path): \(obstacle(to: dir) ?? error.localizedDescription). "
                            + "Choose a writable place with --run-dir DIR")
        }
    }

    /// Why `dir` cannot be created, in plain words: the nearest existing ancestor (or `dir`
    /// itself) is a file, or a directory we may not write to. Nil when neither is the case.
    /// (Foundation's own message here is an opaque "NSCocoaErrorDomain error 512".)
    static func obstacle(to dir: URL) -> String? {
        var candidate = dir.standardizedFileURL
        while true {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "\(candidate.path) is a file, not a directory" }
                if !FileManager.default.isWritableFile(atPath: candidate.path) { return "\(candidate.path) is not writable" }
                return nil
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { return nil }
            candidate = parent
        }
    }

    private func printSummary(_ s: TrainingSummary) {
        func pct(_ r: EvalResult?) -> String { r.map { String(format: "%.2f %%", 100 * $0.accuracy) } ?? "—" }
        func loss(_ r: EvalResult?) -> String { r.map { String(format: "%.4f", $0.loss) } ?? "—" }
        var rows: [(String, String, String)] = [
            ("best validation", loss(s.bestVal), pct(s.bestVal) + (s.bestEpoch.map { " (epoch \($0))" } ?? "")),
            ("final validation", loss(s.finalVal), pct(s.finalVal)),
        ]
        if (s.test != nil || !s.stoppedBySignal) && trainer.source.count(of: .test) > 0 { rows.append(("test", loss(s.test), pct(s.test))) }
        let status = s.stoppedBySignal ? "stopped by signal at step \(s.steps) — resume with --resume auto"
            : s.stoppedEarly ? "stopped early at step \(s.steps)" : "finished \(s.steps) steps"
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        let source = trainer.source
        var lines = ["", "── summary: \(config.name) ── \(status)",
                     pad("", 19) + pad("loss", 9) + (source.predictsText ? pad("bits/char", 11) : "") + "accuracy"]
        let results = [s.bestVal, s.finalVal, s.test]
        for ((name, l, a), r) in zip(rows, results) {
            let bits = source.predictsText ? pad(r.flatMap { source.bitsPerCharacter($0.loss, over: .evaluation(.validation)) }.map { String(format: "%.4f", $0) } ?? "—", 11) : ""
            lines.append(pad(name, 19) + pad(l, 9) + bits + a)
        }
        lines.append("time               \(formatDuration(s.seconds)) on \(comm.size) rank(s), \(Int(s.samplesPerSec)) \(source.unit)/s")
        if let c = s.checkpoint { lines.append("checkpoint         \(c.path)") }
        lines.append("metrics            \(runDirectory.appendingPathComponent("metrics.jsonl").path) (and metrics.csv)")
        for l in lines { console.print(l) }
    }
}
