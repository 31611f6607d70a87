import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// End-to-end tests of data-parallel training: the real `synapse` binary under a real
/// `mpirun`, started from the test as a child process (MPI can start only once per process,
/// so ranks never run inside the test process itself).
///
/// One suite, serialized: the tests share the machine's cores, and two MPI jobs at once would
/// slow each other down enough to make the timing checks (no hang, exit within 10 s) noisy.
/// The tests live in extensions of this type, one file per topic
/// (`DistributedEqualsLocalTests`, `DistributedResumeTests`, `DistributedFailureTests`, and
/// `MultiHostTests` / `MultiHostFaultTests`, which run across network-namespace hosts).
@Suite("Distributed training under mpirun", .serialized,
       .enabled(if: DistributedJob.mpirun != nil, "mpirun not found on PATH (apt-get install openmpi-bin)"),
       .enabled(if: DistributedJob.synapse != nil, "synapse not built (swift build -c release builds it)"),
       .enabled(if: DistributedJob.hasFashionMNIST,
                "Fashion-MNIST not found in /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)"))
struct DistributedTests {
    /// Tests/Fixtures/distributed-mlp.yaml: 20 steps per epoch at global batch 96.
    static let fixtureConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/distributed-mlp.yaml").path
}

/// One `synapse` process tree: the binary alone (one rank, no MPI) or under `mpirun`, with
/// stdout and stderr in a log file (a pipe that nobody drains would block the job).
///
/// Started with posix_spawn rather than Foundation's `Process`: a child inherits the signal
/// mask of the thread that spawns it, and the test runner's worker threads block SIGUSR1,
/// SIGTERM and others. A `Process`-started mpirun therefore never sees the SIGUSR1 the
/// preemption test sends it. Here the child starts with no blocked signals and default
/// handlers, as it would from a shell or from Slurm.
final class DistributedJob {
    /// `mpirun` on PATH, if any.
    static let mpirun: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":").map { "\($0)/mpirun" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The built `synapse` (found as the other end-to-end tests find it).
    static let synapse: String? = ProcessRunner.builtProduct(named: "synapse")?.path

    /// Whether the Debian Fashion-MNIST files the fixture config names are installed.
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

    /// One group of ranks running the same command line (an MPMD job has several).
    struct App {
        var ranks: Int
        var arguments: [String]
    }

    /// How the job ended.
    struct Outcome {
        /// Exit status of mpirun (or of the lone process); 128 + N when killed by signal N;
        /// -1 when it was still running at the deadline and the test killed it.
        var status: Int32
        /// Everything printed, stdout and stderr interleaved.
        var output: String
        /// Seconds from `wait` being called to the exit.
        var secondsWaited: Double
        /// Whether the job was still running at the deadline (and was killed).
        var timedOut: Bool
    }

    /// mpirun's (or the lone process's) pid.
    let pid: pid_t
    private let log: URL
    private var exitStatus: Int32? = nil

    /// Starts `synapse ARGUMENTS` as one process without MPI (`ranks` nil) or under
    /// `mpirun -np ranks`.
    convenience init(ranks: Int?, _ arguments: [String]) throws {
        try self.init(apps: [App(ranks: ranks ?? 0, arguments: arguments)], underMPI: ranks != nil)
    }

    /// Starts an MPMD job: `mpirun -np R1 synapse ARGS1 : -np R2 synapse ARGS2 ...`.
    convenience init(apps: [App]) throws {
        try self.init(apps: apps, underMPI: true)
    }

    /// Starts `launch/synapse-mpirun -n RANKS synapse ARGUMENTS`: the wrapper script's pid is
    /// `pid`, so `send` signals the wrapper, as a user or a scheduler would.
    convenience init(launcherRanks ranks: Int, _ arguments: [String]) throws {
        try self.init(apps: [App(ranks: ranks, arguments: arguments)], underMPI: true, throughLauncher: true)
    }

    private convenience init(apps: [App], underMPI: Bool, throughLauncher: Bool = false) throws {
        let synapse = try #require(DistributedJob.synapse)
        var argv: [String]
        if throughLauncher {
            let launcher = ProcessRunner.packageRoot.appendingPathComponent("launch/synapse-mpirun").path
            argv = ["/bin/bash", launcher, "-n", "\(apps[0].ranks)", synapse] + apps[0].arguments
        } else if underMPI {
            let total = apps.reduce(0) { $0 + $1.ranks }
            argv = [try #require(DistributedJob.mpirun)] + (geteuid() == 0 ? ["--allow-run-as-root"] : [])
            if total > ProcessInfo.processInfo.activeProcessorCount { argv.append("--oversubscribe") }
            argv += ["-x", "OPENBLAS_NUM_THREADS", "-x", "SWIFT_BACKTRACE"]
            for (i, app) in apps.enumerated() {
                if i > 0 { argv.append(":") }
                argv += ["-np", "\(app.ranks)", synapse] + app.arguments
            }
        } else {
            argv = [synapse] + apps[0].arguments
        }
        try self.init(argv: argv)
    }

    /// Starts the command line `argv` (argv[0] an absolute path) as it is, e.g. a launcher
    /// inside network-namespace hosts (`MultiHostCluster.job`).
    init(argv: [String]) throws {
        // A test process that itself runs under mpirun must not pass its job's identity on.
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        log = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-job-\(UUID().uuidString).log")
        pid = try spawnWithCleanSignals(argv, environment: environment.map { "\($0.key)=\($0.value)" }, output: log.path)
    }

    deinit {
        // A test that stopped early (a failed #require) must not leave ranks behind.
        if isRunning { _ = wait(timeout: 0) }
        try? FileManager.default.removeItem(at: log)
    }

    /// What the job printed so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Whether the job is still running.
    var isRunning: Bool { reap(blocking: false) == nil }

    /// Sends `signal` to mpirun (or the lone process).
    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the exit, at most `timeout` seconds; a job still running then is killed
    /// (mpirun first with SIGTERM, so it takes its ranks down, then SIGKILL for the whole tree).
    func wait(timeout: TimeInterval) -> Outcome {
        let start = Date()
        var timedOut = false
        if !waitForExit(until: start.addingTimeInterval(timeout)) {
            timedOut = true
            let ranks = Array(rankPIDs().values)
            kill(pid, SIGTERM)
            if !waitForExit(until: Date().addingTimeInterval(10)) {
                for rank in ranks { kill(rank, SIGKILL) }
                kill(pid, SIGKILL)
                _ = reap(blocking: true)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        return Outcome(status: timedOut ? -1 : (exitStatus ?? -1), output: output, secondsWaited: seconds, timedOut: timedOut)
    }

    /// Polls for the exit until `deadline`; true if the job exited.
    private func waitForExit(until deadline: Date) -> Bool {
        while reap(blocking: false) == nil {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// The exit status once the job has exited (reaping it the first time), else nil.
    private func reap(blocking: Bool) -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while result == -1 && errno == EINTR
        guard result == pid else { return nil }
        // The <sys/wait.h> macros are not imported: low 7 bits = terminating signal, else exit code in bits 8-15.
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return exitStatus
    }

    /// The pids of the ranks, by rank: processes below mpirun in the process tree whose
    /// environment has `OMPI_COMM_WORLD_RANK` (Open MPI sets it in every rank it starts).
    /// Read from /proc, so no name matching can pick up another job's processes.
    func rankPIDs() -> [Int: pid_t] {
        var parentOf: [pid_t: pid_t] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid ...": the command may contain spaces, so parse after ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parentOf[pid] = ppid }
        }
        let root = pid
        func isBelowMPIRun(_ process: pid_t) -> Bool {
            var p = process
            for _ in 0..<16 {
                guard let parent = parentOf[p] else { return false }
                if parent == root { return true }
                p = parent
            }
            return false
        }
        var ranks: [Int: pid_t] = [:]
        for candidate in parentOf.keys where isBelowMPIRun(candidate) {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(candidate)/environ") else { continue }
            for variable in environ.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst(21)) { ranks[rank] = candidate }
            }
        }
        return ranks
    }

    /// Waits until RUN_DIR/metrics.jsonl has a training row at `step` or later, at most
    /// `timeout` seconds. Returns false if the job exits or the deadline passes first.
    func waitForLoggedStep(_ step: Int, runDirectory: URL, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && isRunning {
            if (DistributedRun.loggedTrainSteps(runDirectory).max() ?? 0) >= step { return true }
            usleep(5_000)
        }
        return false
    }
}

/// Reading what a run left in its run directory.
enum DistributedRun {
    /// A fresh temporary directory for one test's run directories.
    static func scratchDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-dist-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The rows of RUN_DIR/metrics.jsonl, decoded.
    static func metricsRows(_ runDirectory: URL) -> [[String: Any]] {
        guard let text = try? String(contentsOf: runDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Steps of the training rows logged so far (a partly written last line is skipped).
    static func loggedTrainSteps(_ runDirectory: URL) -> [Int] {
        metricsRows(runDirectory).filter { $0["split"] as? String == "train" }.compactMap { $0["step"] as? Int }
    }

    /// The "test" row's loss and accuracy, if the run got that far.
    static func testRow(_ runDirectory: URL) -> (loss: Double, accuracy: Double)? {
        guard let row = metricsRows(runDirectory).last(where: { $0["split"] as? String == "test" }),
              let loss = row["loss"] as? Double, let accuracy = row["accuracy"] as? Double else { return nil }
        return (loss, accuracy)
    }

    /// RUN_DIR/checkpoints/latest, resolved to the step-NNNNNNNN directory it points at.
    static func latestCheckpoint(_ runDirectory: URL) throws -> URL {
        let link = runDirectory.appendingPathComponent("checkpoints/latest")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
        return target.hasPrefix("/") ? URL(fileURLWithPath: target)
            : runDirectory.appendingPathComponent("checkpoints").appendingPathComponent(target)
    }

    /// The step number in a `step-NNNNNNNN` directory name.
    static func step(of checkpoint: URL) -> Int? {
        let name = checkpoint.lastPathComponent
        return name.hasPrefix("step-") ? Int(name.dropFirst(5)) : nil
    }

    /// The tensors of the latest checkpoint's model.safetensors, by name.
    static func finalParameters(_ runDirectory: URL, file name: String = "model.safetensors") throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: latestCheckpoint(runDirectory).appendingPathComponent(name).path)
        var tensors: [String: [Float]] = [:]
        for name in file.names { tensors[name] = try file.floats(named: name) }
        return tensors
    }
}

/// posix_spawn of `argv` (argv[0] an absolute path) with an empty signal mask, default
/// handlers for the signals tests send, stdin from /dev/null, stdout and stderr to `output`,
/// no other inherited descriptors, in its own process group. Returns the child's pid.
private func spawnWithCleanSignals(_ argv: [String], environment: [String], output: String) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), defaults = sigset_t()
    sigemptyset(&none)
    sigemptyset(&defaults)
    for signal in [SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    closeInheritedDescriptors(&actions)

    let cArgv = argv.map { strdup($0) } + [nil]
    let cEnvironment = environment.map { strdup($0) } + [nil]
    defer { (cArgv + cEnvironment).forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnvironment)
    try #require(result == 0, "posix_spawn \(argv[0]) failed: \(String(cString: strerror(result)))")
    return pid
}

/// Adds file actions that close every descriptor from 3 up in the child, so the job holds no
/// pipe or socket of the test runner (another test's `Process` waits for its socket to close).
/// glibc ≥ 2.34 has posix_spawn_file_actions_addclosefrom_np (not in Swift's Glibc module, so
/// looked up at run time); otherwise the descriptors open now are closed one by one (closing
/// one that is no longer open is not an error for posix_spawn).
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        return
    }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
    for fd in open where fd >= 3 { posix_spawn_file_actions_addclose(&actions, fd) }
}
