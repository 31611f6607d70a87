import Testing
import SynapseData

@Suite struct GzipTests {
    @Test func rawFileIsReturnedAsIs() throws {
        let dir = try makeTemporaryDirectory()
        let bytes: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9]
        try writeFile(dir + "/raw", bytes)
        #expect(try Gzip.readFile(atPath: dir + "/raw") == bytes)
    }

    @Test func emptyAndOneByteFilesAreRaw() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/empty", [])
        try writeFile(dir + "/one", [0x1f])
        #expect(try Gzip.readFile(atPath: dir + "/empty") == [])
        #expect(try Gzip.readFile(atPath: dir + "/one") == [0x1f])
    }

    @Test func gzipFileIsDecompressed() throws {
        let dir = try makeTemporaryDirectory()
        // 3 MB: more than ten 256 KiB output chunks, compressed over several input chunks.
        let bytes = sampleBytes(3_000_000)
        try writeGzipFile(dir + "/big.gz", bytes)
        let compressed = try readFile(dir + "/big.gz")
        #expect(compressed[0] == 0x1f && compressed[1] == 0x8b)
        #expect(compressed.count > 300_000, "test data should span several input chunks")
        #expect(try Gzip.readFile(atPath: dir + "/big.gz") == bytes)
    }

    @Test func concatenatedMembersAreJoined() throws {
        let dir = try makeTemporaryDirectory()
        let a = sampleBytes(1000, seed: 1), b = sampleBytes(500, seed: 2)
        try writeGzipFile(dir + "/a.gz", a)
        try writeGzipFile(dir + "/b.gz", b)
        try writeFile(dir + "/ab.gz", try readFile(dir + "/a.gz") + readFile(dir + "/b.gz"))
        #expect(try Gzip.readFile(atPath: dir + "/ab.gz") == a + b)
    }

    @Test func missingFileNamesThePath() throws {
        let path = "/nonexistent-synapse-dir/file.gz"
        let error = #expect(throws: DataError.self) { try Gzip.readFile(atPath: path) }
        #expect(error == .fileNotFound(path: path))
        #expect(error?.description.contains(path) == true)
    }

    @Test func directoryIsNotReadable() throws {
        let dir = try makeTemporaryDirectory()
        let error = #expect(throws: DataError.self) { try Gzip.readFile(atPath: dir) }
        guard case .unreadableFile(let path, _)? = error else {
            Issue.record("expected unreadableFile, got \(String(describing: error))"); return
        }
        #expect(path == dir)
    }

    @Test(arguments: [10, 100_000, 200_000])
    func truncatedGzipIsReported(keptBytes: Int) throws {
        let dir = try makeTemporaryDirectory()
        try writeGzipFile(dir + "/full.gz", sampleBytes(1_000_000))
        let full = try readFile(dir + "/full.gz")
        #expect(keptBytes < full.count)
        let path = dir + "/cut.gz"
        try writeFile(path, Array(full[..<keptBytes]))
        expectCorruptGzip(path, mentioning: "ends after \(keptBytes) bytes")
    }

    @Test func missingTrailerIsReported() throws {
        // Only the 8-byte trailer (CRC-32, length) is missing: all data inflates, yet the file
        // must still be rejected.
        let dir = try makeTemporaryDirectory()
        try writeGzipFile(dir + "/full.gz", sampleBytes(5000))
        let full = try readFile(dir + "/full.gz")
        try writeFile(dir + "/cut.gz", Array(full.dropLast(8)))
        expectCorruptGzip(dir + "/cut.gz", mentioning: "before the end of the compressed data")
    }

    @Test func corruptedCrcIsReported() throws {
        let dir = try makeTemporaryDirectory()
        try writeGzipFile(dir + "/full.gz", sampleBytes(5000))
        var bytes = try readFile(dir + "/full.gz")
        bytes[bytes.count - 8] ^= 0xff  // first byte of the stored CRC-32
        try writeFile(dir + "/bad.gz", bytes)
        expectCorruptGzip(dir + "/bad.gz", mentioning: "incorrect data check")
    }

    @Test func trailingGarbageIsReported() throws {
        let dir = try makeTemporaryDirectory()
        try writeGzipFile(dir + "/full.gz", sampleBytes(5000))
        let bytes = try readFile(dir + "/full.gz")
        try writeFile(dir + "/tail.gz", bytes + [1, 2, 3])
        expectCorruptGzip(dir + "/tail.gz", mentioning: "3 bytes after the end of the compressed data at byte offset \(bytes.count)")
    }

    private func expectCorruptGzip(_ path: String, mentioning detail: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) { try Gzip.readFile(atPath: path) }
        guard case .corruptGzip(let errorPath, let reason)? = error else {
            Issue.record("expected corruptGzip, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(errorPath == path, sourceLocation: sourceLocation)
        #expect(reason.contains(detail), "reason: \(reason)", sourceLocation: sourceLocation)
        #expect(error!.description.contains("corrupt or truncated"), sourceLocation: sourceLocation)
        #expect(error!.description.contains(path), sourceLocation: sourceLocation)
    }
}
