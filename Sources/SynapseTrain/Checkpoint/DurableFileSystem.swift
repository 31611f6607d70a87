#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few POSIX file operations that crash-safe saving is built from, each throwing a
/// `FileOperationError` that names the path and the system's reason.
///
/// Why POSIX and not FileManager: durability needs `fsync` on files *and* directories, and an
/// atomic `rename(2)` over an existing name. This Foundation's `FileManager.replaceItemAt` can
/// destroy the old file and then throw, and `moveItem` refuses an existing destination.
enum DurableFileSystem {
    /// What is at a path, without following a final symbolic link.
    enum EntryKind: Equatable { case missing, file, directory, symlink, other }

    /// What is at `path` (`lstat`): a dangling `latest` link reads as `.symlink`, not `.missing`.
    static func kind(of path: String) -> EntryKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// Whether `path` is a directory, following symbolic links (so `latest` counts).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and any missing parents (`mkdir -p`), then fsyncs the parent of each
    /// directory it created so the new names survive a power loss.
    static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileOperationError("create directory", path)
        }
        // EEXIST for a file: name the file, which is what the user has to move or rename.
        guard isDirectory(path) else { throw FileOperationError("create directories under", path, code: ENOTDIR) }
        try syncDirectory(parent)
    }

    /// Writes `data` to a new file at `path` (failing if it exists) and fsyncs it before
    /// returning, so the bytes are on disk before any rename makes them visible.
    static func writeNewFileSynced(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileOperationError("create file", path) }
        var failure: FileOperationError?
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = FileOperationError("write", path)
                    return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = FileOperationError("fsync", path) }
        if close(fd) != 0 && failure == nil { failure = FileOperationError("close", path) }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Flushes a directory's entries (new, renamed or removed names) to disk.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileOperationError("open directory", path) }
        defer { close(fd) }
        // Some file systems do not support fsync on directories (EINVAL); nothing more can be done there.
        if fsync(fd) != 0 && errno != EINVAL { throw FileOperationError("fsync directory", path) }
    }

    /// Atomically renames `source` to `destination`, replacing a destination file or symlink
    /// (`rename(2)`). A non-empty destination directory cannot be replaced this way.
    static func rename(_ source: String, to destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else { throw FileOperationError("rename \(source) to", destination) }
    }

    /// Atomically swaps two existing names (Linux `renameat2` with `RENAME_EXCHANGE`): at every
    /// instant each name refers to a complete directory. Returns false where the kernel, the C
    /// library or the file system does not support it; the caller then falls back to two renames.
    static func exchange(_ a: String, _ b: String) throws -> Bool {
        #if os(Linux)
        // renameat2 is declared only under _GNU_SOURCE, which Swift's Glibc module does not set,
        // so look it up at run time (glibc ≥ 2.28 exports it).
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1  // RENAME_EXCHANGE from <linux/fs.h>
        if renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0 { return true }
        if errno == EINVAL || errno == ENOSYS || errno == ENOTSUP { return false }
        throw FileOperationError("exchange \(a) with", b)
        #else
        return false
        #endif
    }

    /// Creates a symbolic link at `path` whose content is `target` (relative targets resolve
    /// from the link's directory, so a run directory can be moved as a whole).
    static func makeSymlink(at path: String, pointingTo target: String) throws {
        guard symlink(target, path) == 0 else { throw FileOperationError("create symbolic link", path) }
    }

    /// The content of the symbolic link at `path`, or nil if it is not one.
    static func linkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// Removes a file, link or whole directory tree (links are removed, never followed);
    /// a missing path is not an error.
    static func removeTree(_ path: String) throws {
        switch kind(of: path) {
        case .missing:
            return
        case .directory:
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw FileOperationError("list directory", path)
            }
            for name in names { try removeTree(join(path, name)) }
            if rmdir(path) != 0 && errno != ENOENT { throw FileOperationError("remove directory", path) }
        default:
            if unlink(path) != 0 && errno != ENOENT { throw FileOperationError("remove", path) }
        }
    }

    /// Names in a directory (without `.` and `..`), sorted; empty if it cannot be read.
    static func entries(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// `directory/name` (no normalisation, so messages show paths as the user gave them).
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `path` without trailing slashes (`/` stays `/`).
    static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// The directory part of `path` (`.` for a bare name, `/` for the root).
    static func parentDirectory(of path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// The last component of `path`, ignoring trailing slashes.
    static func lastComponent(of path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }
}
