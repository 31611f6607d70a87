import Foundation
import Testing
@testable import SynapseData

/// A data path the system refuses is reported as what it is: permission denied, with the
/// path, not "cannot find". The errno is injected (tests run as root, which reads any file;
/// CLIStorageFailureTests checks the real refusal as `nobody`).
@Suite struct UnreadableDataTests {
    @Test func permissionDeniedNamesThePathAndTheFix() {
        let message = DataError.unreadable(path: "/data/fashion/train-images-idx3-ubyte.gz", code: EACCES).description
        #expect(message.hasPrefix("cannot read /data/fashion/train-images-idx3-ubyte.gz: permission denied"))
        #expect(message.contains("ls -ld") && message.contains("chmod"))
    }

    @Test func otherErrorsGiveTheSystemsReason() {
        #expect(DataError.unreadable(path: "/x", code: EIO).description == "cannot read /x: Input/output error")
    }

    /// Decompression stops as soon as the output passes the size the IDX header declares:
    /// a 100 MB bomb behind a header declaring 8 bytes is refused without inflating it all.
    @Test func gzipBombBehindAnIDXHeaderIsRefusedEarly() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bomb.gz"
        try writeGzipFile(path, [0, 0, 8, 1, 0, 0, 0, 8] + [UInt8](repeating: 0, count: 100 << 20))
        let error = try #require(throws: DataError.self) { _ = try IDXArray(contentsOfFile: path) }
        #expect(error.description.contains("more than the 8 its dimensions [8] declare; reading stopped there"), "\(error)")
        // It stopped within the first output chunk (256 KiB), not after 100 MB.
        guard case .inconsistentDataset(_, let reason) = error else { Issue.record("\(error)"); return }
        let held = Int(reason.split(separator: " ")[3]) ?? Int.max
        #expect(held <= 1 << 18, "\(reason)")
    }

    /// The same bound for an uncompressed file, checked before it is read.
    @Test func rawIDXLargerThanItsHeaderIsRefusedBeforeReading() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/raw"
        try writeFile(path, [0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3])
        let error = try #require(throws: DataError.self) { _ = try IDXArray(contentsOfFile: path) }
        #expect(error.description.contains("holds at least 3 data bytes after its header, more than the 2"), "\(error)")
    }
}
