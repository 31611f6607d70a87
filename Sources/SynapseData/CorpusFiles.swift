#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-system side of `TextCorpus`: what a path is, which files a directory holds and in
/// which order, and reading them, each failure a `DataError.invalidCorpus` that says how to fix
/// it.
enum CorpusFiles {
    /// What `data.path` may name.
    enum Kind { case file, directory }

    /// Where to point a user whose path does not work.
    static let pathHint = "set data.path to a UTF-8 text file or a directory of text files "
        + "(or leave it unset to use Debian's fortunes corpus)"

    /// Whether `path` is a file or a directory (following a symbolic link the user named).
    static func kind(of path: String) throws -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw DataError.invalidCorpus(path: path, reason: "no such file or directory; " + pathHint)
            }
            throw DataError.invalidCorpus(path: path, reason: "cannot look at it: "
                + String(cString: strerror(code)) + "; " + permissionHint(path))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default:
            throw DataError.invalidCorpus(path: path, reason: "neither a regular file nor a directory; " + pathHint)
        }
    }

    /// The regular files directly in `directory` whose names `include` accepts, as paths, sorted
    /// by the bytes of their names (Python's `sorted()` of the names, so the peer's order).
    ///
    /// Skipped: subdirectories, symbolic links (even to regular files, as the peer skips them),
    /// other special files, and hidden files (names starting with "."), which the peer's
    /// `glob("*")` never lists.
    static func regularFiles(in directory: String, where include: (String) -> Bool = { _ in true }) throws -> [String] {
        guard let stream = opendir(directory) else {
            let code = errno
            throw DataError.invalidCorpus(path: directory, reason: "cannot list the directory: "
                + String(cString: strerror(code)) + "; " + permissionHint(directory))
        }
        defer { closedir(stream) }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            guard let first = name.first, first != UInt8(ascii: ".") else { continue }
            let path = prefix + String(decoding: name, as: UTF8.self)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if include(String(decoding: name, as: UTF8.self)) { names.append(name) }
        }
        names.sort { $0.lexicographicallyPrecedes($1) }  // bytes: UTF-8 order is code-point order
        return names.map { prefix + String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        do {
            return try OpenFile(path: path).readAll()
        } catch DataError.fileNotFound {
            throw DataError.invalidCorpus(path: path, reason: "no such file; " + pathHint)
        } catch DataError.unreadableFile(_, let reason) {
            throw DataError.invalidCorpus(path: path, reason: "cannot read it: \(reason); " + permissionHint(path))
        }
    }

    /// How to fix a path this process may not read.
    static func permissionHint(_ path: String) -> String {
        "check its permissions (ls -ld \(path)): the user running synapse must be able to read "
            + "it (chmod a+r, or a+rx for a directory), or " + pathHint
    }
}
