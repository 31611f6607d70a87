#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file-system call failed: which operation, on which path, and the system's reason.
///
/// Example description: `could not create directory /tmp/x/file.txt/checkpoints: Not a directory`.
public struct FileOperationError: Error, CustomStringConvertible, Sendable {
    /// What was attempted, as a verb phrase ("create directory", "rename … to").
    public let operation: String
    /// The path the operation was applied to.
    public let path: String
    /// The `errno` value the system reported.
    public let code: Int32

    /// An error for `operation` on `path` with the system error `code` (usually `errno`).
    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The system's text for `code`, e.g. "No space left on device".
    public var reason: String { String(cString: strerror(code)) }

    /// "could not OPERATION PATH: REASON".
    public var description: String { "could not \(operation) \(path): \(reason)" }
}
