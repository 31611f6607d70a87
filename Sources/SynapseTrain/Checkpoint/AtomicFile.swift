#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a whole file so that readers (and a machine that loses power) see either the old
/// content or the new, never a partial file.
///
/// The recipe: write a temporary file in the SAME directory (a rename is atomic only within one
/// file system), fsync it, `rename(2)` it over the destination, then fsync the directory so the
/// rename itself is durable. `Data.write(options: .atomic)` skips the last step, and
/// `FileManager.replaceItemAt` can lose the old file on this Foundation (see PLATFORM.md).
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `path` with `data`.
    ///
    /// - Throws: `FileOperationError` naming the failing step and path; the destination is then
    ///   unchanged and no temporary file is left behind.
    public static func write(_ data: Data, to path: String) throws {
        let directory = DurableFileSystem.parentDirectory(of: path)
        let name = DurableFileSystem.lastComponent(of: path)
        let temporary = DurableFileSystem.join(directory, ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try DurableFileSystem.writeNewFileSynced(data, to: temporary)
            try DurableFileSystem.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try DurableFileSystem.syncDirectory(directory)
    }
}
