import Foundation
import CZlib

/// A fresh directory under the system's temporary directory, for files a test writes.
func makeTemporaryDirectory(_ label: String = #function) throws -> String {
    let name = "synapse-data-" + label.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Writes `bytes` to `path` as they are.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes `bytes` to `path` gzip-compressed, through zlib's own gzip writer (independent of
/// the reader under test).
func writeGzipFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = gzopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    guard gzclose(file) == Z_OK, Int(written) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
}

/// The bytes of the file at `path`.
func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// `count` bytes that compress moderately (a repeating ramp with pseudo-random noise), so
/// compressed files span several reader chunks.
func sampleBytes(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var x = seed
    return (0..<count).map { i in
        x = x &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: i / 7) &+ UInt8(truncatingIfNeeded: x >> 29)
    }
}
