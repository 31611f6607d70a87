#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-process scratch directory for fuzz targets whose reader takes a path: each input is
/// written to a file in it (replacing the previous one) and read back by the real reader, so
/// the file-opening, gzip and size-limit code runs exactly as it does for users.
public final class ScratchDirectory: @unchecked Sendable {
    /// The directory (under /dev/shm when it exists, so the writes stay in memory).
    public let path: String

    /// Creates the directory; a failure here is the harness's, so it traps.
    public init(name: String) {
        var access_ = stat()
        let base = stat("/dev/shm", &access_) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(base)/synapse-\(name)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("fuzz harness: cannot create a scratch directory in \(base)") }
        path = String(cString: made)
    }

    /// Writes `size` bytes from `data` to `name` in the directory and returns the file's path.
    public func write(_ name: String, _ data: UnsafePointer<UInt8>, _ size: Int) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(file)") }
        var done = 0
        while done < size {
            let n = Glibc.write(fd, data + done, size - done)
            guard n > 0 else { fatalError("fuzz harness: short write to \(file)") }
            done += n
        }
        close(fd)
        return file
    }
}

/// A valid pointer for the empty input (libFuzzer may pass none with size 0).
nonisolated(unsafe) public let emptyInput: UnsafePointer<UInt8> = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
