import Foundation
import Testing

/// MPICommunicator under a real mpirun: runs the `mpi-probe` executable (Tests/MPIProbe) with
/// 1, 2 and 3 ranks and compares what every rank printed with values computed by hand.
///
/// MPI can be initialized once per process, so multi-rank checks cannot run inside the test
/// process; they run in child processes. Skipped (with the reason) where mpirun or the built
/// probe is missing.
@Suite(.serialized, .enabled(if: MPIProbeRun.mpirun != nil, "mpirun not found on PATH (apt-get install openmpi-bin)"),
       .enabled(if: MPIProbeRun.probe != nil, "mpi-probe not built (swift build --build-tests builds it)"))
struct MPICommunicatorTests {
    @Test(arguments: [2, 3])
    func collectivesMatchHandComputedValues(ranks n: Int) throws {
        let run = try MPIProbeRun(ranks: n)
        try #require(run.status == 0, "mpirun exited \(run.status):\n\(run.output)")
        // Rank r contributes [r+1, 10(r+1), -(r+1), 0.5] etc. (see mpi-probe); S = Σ(r+1).
        let s = Double(n * (n + 1) / 2)
        for r in 0..<n {
            let got = try #require(run.results[r], "no output from rank \(r):\n\(run.output)")
            #expect(got["size"] == "\(n)")
            #expect(got["under_mpi"] == "true")
            #expect(got["thread_level"] == "MPI_THREAD_SERIALIZED")
            #expect(numbers(got["float_sum"]) == [s, 10 * s, -s, 0.5 * Double(n)], "rank \(r)")
            #expect(numbers(got["float_max"]) == [Double(n), -1, 7], "rank \(r)")
            #expect(numbers(got["double_sum"]) == [0.25 * s, Double(n) * 1e15 + Double(n * (n - 1) / 2)], "rank \(r)")
            #expect(numbers(got["double_max"]) == [-1, 1.5 * Double(n - 1)], "rank \(r)")
            #expect(got["empty_sum"] == "ok")
            #expect(got["broadcast"] == "from-rank-\(n - 1)", "rank \(r)")
            #expect(numbers(got["all_gather"]) == (0..<n).map { Double(1000 + $0 * $0) }, "rank \(r)")
            // 10 elements in chunks of 3: 4 MPI calls must still sum every element once.
            #expect(numbers(got["chunked_sum"]) == (0..<10).map { Double($0) * s }, "rank \(r)")
            #expect(got["chunked_broadcast"] == "0123456789", "rank \(r)")
            #expect(got["finalized"] == "true,true")
            #expect(got["after_finalize"]?.contains("MPI_Barrier failed: called after finalize()") == true)
        }
    }

    @Test func withoutMPIRunTheProbeIsASingleton() throws {
        let run = try MPIProbeRun(ranks: nil)
        try #require(run.status == 0, "probe exited \(run.status):\n\(run.output)")
        let got = try #require(run.results[0], "\(run.output)")
        #expect(got["size"] == "1")
        #expect(got["under_mpi"] == "false")
        #expect(numbers(got["float_sum"]) == [1, 10, -1, 0.5])
        #expect(numbers(got["all_gather"]) == [1000])
        #expect(got["broadcast"] == "from-rank-0")
    }

    @Test func mismatchedBroadcastThrowsTruncateOnTheReceiver() throws {
        let run = try MPIProbeRun(ranks: 2, arguments: ["--mismatch"])
        try #require(run.status == 0, "mpirun exited \(run.status):\n\(run.output)")
        #expect(run.results[0]?["mismatch"] == "no error")
        let message = try #require(run.results[1]?["mismatch"], "\(run.output)")
        #expect(message.hasPrefix("MPI_Bcast failed: MPI_ERR_TRUNCATE"), "\(message)")
        #expect(message.hasSuffix("(MPI error 15)"), "\(message)")
    }

    @Test func abortOnOneRankEndsTheJobWithItsCode() throws {
        let start = Date()
        let run = try MPIProbeRun(ranks: 2, arguments: ["--abort", "7"])
        #expect(run.status == 7, "\(run.output)")
        #expect(run.results[1]?["aborting"] == "7")
        #expect(run.results[0]?["abort"] == nil, "rank 0 must not get past its barrier")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func benchmarkModeReportsAMedian() throws {
        let run = try MPIProbeRun(ranks: 2, arguments: ["--bench-allreduce", "20", "--count", "1000"])
        try #require(run.status == 0, "mpirun exited \(run.status):\n\(run.output)")
        let line = try #require(run.results[0]?["bench_allreduce"], "\(run.output)")
        // "count=1000 bytes=4000 ranks=2 calls=20 median_us=… p10_us=… p90_us=…"
        let fields: [String: String] = Dictionary(line.split(separator: " ").map { field in
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            return (pair[0], pair.count > 1 ? pair[1] : "")
        }, uniquingKeysWith: { first, _ in first })
        #expect(fields["count"] == "1000" && fields["ranks"] == "2" && fields["calls"] == "20")
        let median = try #require(fields["median_us"].flatMap(Double.init), "\(line)")
        #expect(median > 0 && median < 1_000_000)
    }
}

/// Parses a comma-separated list of numbers as printed by mpi-probe.
private func numbers(_ text: String?) -> [Double]? {
    guard let text else { return nil }
    let values = text.split(separator: ",").map { Double($0) }
    return values.contains(nil) ? nil : values.compactMap { $0 }
}

/// One run of mpi-probe: under `mpirun -np ranks`, or alone when `ranks` is nil.
struct MPIProbeRun {
    /// mpirun's (or the probe's) exit status.
    let status: Int32
    /// Everything printed, stdout and stderr, for failure messages.
    let output: String
    /// rank → key → value, from the `rank=R key=value` lines.
    let results: [Int: [String: String]]

    /// Path of `mpirun` on PATH, if any.
    static let mpirun: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":").map { "\($0)/mpirun" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The built probe: next to the test runner (same configuration), else in .build/release
    /// or .build/debug of this package.
    static let probe: URL? = {
        var dirs: [URL] = []
        if let runner = Bundle.main.executableURL { dirs.append(runner.deletingLastPathComponent()) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        dirs += ["release", "debug"].map { root.appendingPathComponent(".build/\($0)") }
        return dirs.map { $0.appendingPathComponent("mpi-probe") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    init(ranks: Int?, arguments: [String] = [], timeout: TimeInterval = 120) throws {
        let probe = try #require(MPIProbeRun.probe)
        let process = Process()
        if let ranks {
            process.executableURL = URL(fileURLWithPath: try #require(MPIProbeRun.mpirun))
            process.arguments = (geteuid() == 0 ? ["--allow-run-as-root"] : [])
                + ["--oversubscribe", "-np", "\(ranks)", probe.path] + arguments
        } else {
            process.executableURL = probe
            process.arguments = arguments
        }
        // A test process started under mpirun must not pass its own job's identity on.
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        // Output goes to a file, not a pipe: a full pipe would block the child forever.
        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("mpi-probe-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            finished.wait()
        }
        try handle.close()
        status = process.terminationStatus
        output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        var results: [Int: [String: String]] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("rank=") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let rank = Int(parts[0].dropFirst(5)),
                  let eq = parts[1].firstIndex(of: "=") else { continue }
            results[rank, default: [:]][String(parts[1][..<eq])] = String(parts[1][parts[1].index(after: eq)...])
        }
        self.results = results
    }
}
