import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    /// The exit status; for a process ended by a signal, 128 + the signal number (as a shell reports it).
    public let status: Int32
    /// Whether a signal ended the process (a crash, or the runner's kill after a timeout).
    public let endedBySignal: Bool
    /// Whether the runner had to kill the process because it ran past its timeout.
    public let timedOut: Bool
    /// Everything the process wrote to standard output.
    public let stdout: String
    /// Everything the process wrote to standard error.
    public let stderr: String
    /// The command line, for failure messages.
    public let commandLine: String

    /// A block for a failed expectation: the command, its status and both streams.
    public var report: String {
        "$ \(commandLine)\nexit status \(status)\(endedBySignal ? " (signal)" : "")\(timedOut ? " (timed out)" : "")\n"
            + "--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

/// A child process started by `ProcessRunner.start`, still running or finished.
///
/// Output goes to temporary files rather than pipes: a child that fills a pipe nobody reads
/// blocks forever, and reading two pipes at once needs threads.
public final class RunningProcess: @unchecked Sendable {  // all state is set in init, then only read
    private let process: Process
    private let finished = DispatchSemaphore(value: 0)
    private let stdoutURL: URL, stderrURL: URL
    private let stdoutHandle: FileHandle, stderrHandle: FileHandle
    private let commandLine: String

    /// The child's process id (for `kill`).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the child is still running.
    public var isRunning: Bool { process.isRunning }

    init(executable: URL, arguments: [String], environment: [String: String]?,
         currentDirectory: URL?) throws {
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // The child inherits this environment, minus an MPI launcher's identity (a test run
        // under mpirun must not make the child think it is one of that job's ranks), plus
        // `environment`.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
        env["SWIFT_BACKTRACE"] = "enable=no"
        for (key, value) in environment ?? [:] { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        commandLine = ([executable.path] + arguments).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")

        let tmp = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        stdoutURL = tmp.appendingPathComponent("process-\(id).out")
        stderrURL = tmp.appendingPathComponent("process-\(id).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        stderrHandle = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        let finished = self.finished
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
    }

    /// Sends `signal` (e.g. SIGUSR1) to the child.
    public func send(signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the child to end, at most `timeout` seconds; past that it is sent SIGTERM,
    /// then SIGKILL two seconds later, and the result says `timedOut`.
    public func wait(timeout: TimeInterval) -> ProcessResult {
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        try? stdoutHandle.close()
        try? stderrHandle.close()
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        let bySignal = process.terminationReason == .uncaughtSignal
        return ProcessResult(status: bySignal ? 128 + process.terminationStatus : process.terminationStatus,
                             endedBySignal: bySignal, timedOut: timedOut,
                             stdout: Self.text(stdoutURL), stderr: Self.text(stderrURL), commandLine: commandLine)
    }

    private static func text(_ url: URL) -> String {
        (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// Runs programs for end-to-end tests and finds the executables this package builds.
public enum ProcessRunner {
    /// Runs `executable` with `arguments` to completion (or `timeout` seconds) and returns its
    /// status and output. `environment` is added to (and overrides) this process's own.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: URL? = nil, timeout: TimeInterval = 120) throws -> ProcessResult {
        try start(executable, arguments, environment: environment, currentDirectory: currentDirectory)
            .wait(timeout: timeout)
    }

    /// Starts `executable` and returns at once; call `wait(timeout:)` on the result.
    public static func start(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                             currentDirectory: URL? = nil) throws -> RunningProcess {
        try RunningProcess(executable: executable, arguments: arguments, environment: environment,
                           currentDirectory: currentDirectory)
    }

    /// The package's root directory (the one holding Package.swift), from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // Tests/SynapseTestSupport
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    /// The built executable product `name` (e.g. "synapse"), or nil if it is not built.
    ///
    /// Looks first next to the running test bundle (so `swift test -c release` finds the
    /// release build and `swift test` the debug one), then in `.build/release` and
    /// `.build/debug` of this package.
    public static func builtProduct(named name: String) -> URL? {
        candidateDirectories().map { $0.appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) && !isDirectory($0) }
    }

    /// Where built products may be, best first, without duplicates.
    static func candidateDirectories() -> [URL] {
        var directories: [URL] = []
        // The test runner: on Linux the .xctest file itself is the executable, in the build
        // directory; on macOS `xctest` loads a .xctest bundle that sits in the build directory.
        var runners = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments.first ?? "")].compactMap { $0 }
        runners += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        for runner in runners {
            // Products sit next to the .xctest (a file on Linux, a bundle directory on macOS).
            let components = runner.standardizedFileURL.pathComponents
            if let bundle = components.firstIndex(where: { $0.hasSuffix(".xctest") }) {
                directories.append(URL(fileURLWithPath: NSString.path(withComponents: Array(components[..<bundle]))))
            } else {
                directories.append(runner.deletingLastPathComponent())
            }
        }
        let build = packageRoot.appendingPathComponent(".build")
        directories += ["release", "debug"].map { build.appendingPathComponent($0) }
        var seen = Set<String>()
        return directories.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
