#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One `synapse train` per run directory: an exclusive flock(2) on `RUN_DIR/.lock`, taken by
/// rank 0 and held for the life of the run.
///
/// Two runs writing one directory would interleave metrics rows and checkpoints, and both
/// would report success. The second one is refused instead (exit status 2), with the pid and
/// host of the holder, which the holder writes into the file once it has the lock.
///
/// The lock is the kernel's, not the file's: it goes away when the process dies, however it
/// dies (kill -9, a crash, a node reboot for a local disk), so a lock file left behind is no
/// obstacle: `--resume auto` after a crash just takes it. flock on a network file system is
/// only as good as that file system's support for it (NFSv4 and Lustre honour it).
///
/// Taking it writes nothing when the file exists already (`holdingExisting`), so a run can
/// hold it from its first check on; a new run directory gets the file only when everything
/// else has been checked (`acquire`), together with the first write.
public final class RunDirectoryLock {
    /// The lock file's name inside the run directory.
    public static let fileName = ".lock"

    /// The lock file.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock on `runDirectory`'s existing lock file, or nil when there is none yet. Writes
    /// nothing. Throws `UserError` when another process holds it.
    public static func holdingExisting(in runDirectory: URL) throws -> RunDirectoryLock? {
        let path = runDirectory.appendingPathComponent(fileName).path
        let fd = open(path, O_RDWR | O_CLOEXEC)
        if fd < 0 {
            // No file yet, or no directory (a path through a regular file): nothing to lock
            // now; creating the directory later reports what is in the way.
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw UserError("cannot open the lock file \(path): \(String(cString: strerror(errno))). "
                            + "Make the run directory writable, or choose another with --run-dir DIR")
        }
        return try locking(fd, path: path, runDirectory: runDirectory)
    }

    /// Creates the run directory and its lock file if needed, takes the lock, and records
    /// this process's pid and host in the file. Throws `UserError` when another process holds it.
    public static func acquire(in runDirectory: URL) throws -> RunDirectoryLock {
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        let path = runDirectory.appendingPathComponent(fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw UserError("cannot create the lock file \(path): \(String(cString: strerror(errno))). "
                            + "Make the run directory writable, or choose another with --run-dir DIR")
        }
        let lock = try locking(fd, path: path, runDirectory: runDirectory)
        lock.recordHolder()
        return lock
    }

    /// Takes an exclusive lock on `fd` without waiting; closes it and throws when it is held.
    private static func locking(_ fd: Int32, path: String, runDirectory: URL) throws -> RunDirectoryLock {
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        if result != 0 {
            let error = errno
            let holder = holderDescription(fd)
            close(fd)
            guard error == EWOULDBLOCK else {
                throw UserError("cannot lock \(path): \(String(cString: strerror(error))); the file system of the run "
                                + "directory may not support flock(2). Choose a local directory with --run-dir DIR")
            }
            throw UserError("the run directory \(runDirectory.path) is in use by another synapse train (\(holder)), "
                            + "which holds \(path). Two runs in one directory would mix their metrics and checkpoints: "
                            + "wait for it to finish (or stop it: kill -TERM saves a checkpoint), or choose another "
                            + "directory with --run-dir DIR")
        }
        return RunDirectoryLock(path: path, descriptor: fd)
    }

    /// "pid 1234 on host node7", from what the holder wrote into the file.
    private static func holderDescription(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "it is starting and has not written its pid yet" : text
    }

    /// Replaces the file's contents with "pid PID on host HOST" (the lock is held, so no one
    /// else writes it). A failure here only loses the description, not the lock.
    public func recordHolder() {
        guard descriptor >= 0 else { return }
        let text = "pid \(getpid()) on host \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(descriptor, 0)
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock (closing the file). The file itself stays: removing it while another
    /// process has it open could leave two processes each holding a lock on a different file
    /// of the same name.
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
