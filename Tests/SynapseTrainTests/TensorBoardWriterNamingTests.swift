import Foundation
import Testing
@testable import SynapseTrain

/// The event file's name: always later than every earlier file's in the run directory, also
/// for a fresh run that removes them, so that a running TensorBoard (which reads a file it has
/// seen from where it stopped) never mistakes a new file for an old one.
@Suite struct TensorBoardWriterNamingTests {
    @Test func aFreshRunInTheSameSecondTakesANewName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-naming-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        let host = TensorBoardWriter.hostName()
        let earlier = "\(TensorBoardWriter.filePrefix)1800000000.\(host)"
        try Data([1, 2, 3]).write(to: directory.appendingPathComponent(earlier))

        let writer = try TensorBoardWriter(runDirectory: directory, keepUpToStep: nil, config: "name: x\n", step: 0,
                                           tokens: false, now: now)
        #expect(writer.url.lastPathComponent == "\(TensorBoardWriter.filePrefix)1800000001.\(host)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == [writer.url.lastPathComponent], "the earlier file is removed: \(names)")
    }
}
