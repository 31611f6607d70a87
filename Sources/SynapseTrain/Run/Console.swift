import Foundation

/// The one door for rank-0 side effects on the terminal: every rank calls it, only rank 0
/// prints. Keeping this in one place makes it easy to see that no collective hides inside a
/// rank-0-only branch (distributed rule 6).
public struct Console: Sendable {
    /// Whether this process prints (rank 0).
    public let isRoot: Bool
    /// Whether standard output is an interactive terminal (progress bar vs plain lines).
    public let isTerminal: Bool

    /// A console for `rank`. Under an MPI launcher the output is plain lines: mpirun hands
    /// each rank a pseudo-terminal even when its own output goes to a file or a batch log.
    public init(rank: Int) {
        isRoot = rank == 0
        let env = ProcessInfo.processInfo.environment
        let underLauncher = env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
        isTerminal = isatty(STDOUT_FILENO) == 1 && !underLauncher
    }

    /// Prints a line on rank 0.
    public func print(_ line: String) {
        guard isRoot else { return }
        if isTerminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Overwrites the current terminal line on rank 0 (progress bar); no-op when not a TTY.
    public func status(_ line: String) {
        guard isRoot, isTerminal else { return }
        FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Prints an informational line on standard output ("note: ..."); call it on rank 0 only.
    public static func note(_ message: String) {
        FileHandle.standardOutput.write(Data(("note: " + message + "\n").utf8))
    }

    /// Prints a warning on standard error, from any rank, prefixed with the rank when > 0.
    public static func warn(_ message: String, rank: Int = 0) {
        let prefix = rank == 0 ? "warning: " : "warning (rank \(rank)): "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }
}

/// Formats seconds as `1h02m`, `3m05s` or `12.3s`.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60) }
    if s >= 60 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
    return String(format: "%.1fs", seconds)
}
