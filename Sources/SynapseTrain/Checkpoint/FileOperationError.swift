#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

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

    /// The `errno` codes of a storage system that fails while writing: the disk or the quota
    /// is full, the device reports an I/O error, the file system is (or was remounted)
    /// read-only. These are run-time failures (exit status 1), not bad input: the same
    /// command succeeds once there is space again.
    public static let storageFailureCodes: Set<Int32> = [ENOSPC, EIO, EDQUOT, EROFS]

    /// Whether this failure is the storage's (`storageFailureCodes`).
    public var isStorageFailure: Bool { Self.storageFailureCodes.contains(code) }

    /// The `errno` behind `error`: a `FileOperationError`'s code, or the POSIX error that
    /// Foundation wraps in its file errors (`NSUnderlyingErrorKey`); nil when there is none.
    public static func systemCode(of error: any Error) -> Int32? {
        if let own = error as? FileOperationError { return own.code }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError {
            return systemCode(of: underlying)
        }
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        switch ns.code {
        case CocoaError.fileWriteOutOfSpace.rawValue: return ENOSPC
        case CocoaError.fileWriteVolumeReadOnly.rawValue: return EROFS
        default: return nil
        }
    }
}
