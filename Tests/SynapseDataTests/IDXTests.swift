import Testing
import SynapseData

@Suite struct IDXTests {
    /// A 3 × 2 × 2 array written out by hand: magic 00 00, type 08, 3 dimensions, extents
    /// 3, 2, 2 as big-endian UInt32, then 12 data bytes.
    static let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]
    static let data: [UInt8] = Array(10..<22)

    @Test func parsesHandWrittenFile() throws {
        let array = try IDXArray(parsing: Self.header + Self.data, source: "hand")
        #expect(array.shape == [3, 2, 2])
        #expect(array.bytes == Self.data)
    }

    @Test func encodedMatchesHandWrittenFile() {
        #expect(IDXArray(shape: [3, 2, 2], bytes: Self.data).encoded() == Self.header + Self.data)
    }

    @Test func bigEndianExtents() throws {
        // One dimension of extent 0x0102 = 258.
        let array = try IDXArray(parsing: [0, 0, 8, 1, 0, 0, 1, 2] + [UInt8](repeating: 7, count: 258), source: "x")
        #expect(array.shape == [258])
    }

    @Test func readsRawAndGzipFiles() throws {
        let dir = try makeTemporaryDirectory()
        let labels = IDXArray(shape: [1000], bytes: (0..<1000).map { UInt8($0 % 10) })
        try writeFile(dir + "/labels-idx1-ubyte", labels.encoded())
        try writeGzipFile(dir + "/labels-idx1-ubyte.gz", labels.encoded())
        #expect(try IDXArray(contentsOfFile: dir + "/labels-idx1-ubyte") == labels)
        #expect(try IDXArray(contentsOfFile: dir + "/labels-idx1-ubyte.gz") == labels)
    }

    @Test func badMagic() throws {
        let error = #expect(throws: DataError.self) {
            try IDXArray(parsing: [1, 0] + Self.header.dropFirst(2) + Self.data, source: "f")
        }
        guard case .invalidIDXHeader(let path, let reason)? = error else {
            Issue.record("expected invalidIDXHeader, got \(String(describing: error))"); return
        }
        #expect(path == "f")
        #expect(reason.contains("01 00") && reason.contains("expected 00 00"), "\(reason)")
    }

    @Test func gzipFileWithoutDecompressionIsBadMagic() throws {
        // A .gz file parsed as if it were raw shows its magic 1f 8b in the message.
        let error = #expect(throws: DataError.self) { try IDXArray(parsing: [0x1f, 0x8b, 8, 0], source: "f") }
        #expect(error?.description.contains("1f 8b") == true)
    }

    @Test func unsupportedDataType() throws {
        var bytes = Self.header + Self.data
        bytes[2] = 0x0D
        let error = #expect(throws: DataError.self) { try IDXArray(parsing: bytes, source: "floats.idx") }
        #expect(error == .unsupportedIDXDataType(path: "floats.idx", found: 0x0D))
        let message = error?.description ?? ""
        #expect(message.contains("0x0d") && message.contains("32-bit float") && message.contains("floats.idx"), "\(message)")
    }

    @Test func truncatedData() throws {
        let error = #expect(throws: DataError.self) {
            try IDXArray(parsing: Self.header + Self.data.dropLast(3), source: "cut")
        }
        #expect(error == .idxSizeMismatch(path: "cut", shape: [3, 2, 2], expectedBytes: 12, actualBytes: 9))
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func trailingBytes() throws {
        let error = #expect(throws: DataError.self) {
            try IDXArray(parsing: Self.header + Self.data + [0], source: "long")
        }
        #expect(error == .idxSizeMismatch(path: "long", shape: [3, 2, 2], expectedBytes: 12, actualBytes: 13))
        #expect(error?.description.contains("trailing bytes") == true)
    }

    @Test func truncatedHeader() throws {
        for bytes: [UInt8] in [[0, 0, 8], [0, 0, 8, 3, 0, 0, 0, 3, 0, 0]] {
            let error = #expect(throws: DataError.self) { try IDXArray(parsing: bytes, source: "short") }
            guard case .invalidIDXHeader(let path, _)? = error else {
                Issue.record("expected invalidIDXHeader for \(bytes), got \(String(describing: error))"); continue
            }
            #expect(path == "short")
        }
    }

    @Test func zeroDimensions() throws {
        let error = #expect(throws: DataError.self) { try IDXArray(parsing: [0, 0, 8, 0], source: "z") }
        #expect(error?.description.contains("0 dimensions") == true)
    }

    @Test func truncatedGzipIdxFile() throws {
        let dir = try makeTemporaryDirectory()
        let images = IDXArray(shape: [100, 28, 28], bytes: sampleBytes(100 * 784))
        try writeGzipFile(dir + "/full.gz", images.encoded())
        let full = try readFile(dir + "/full.gz")
        let path = dir + "/images-idx3-ubyte.gz"
        try writeFile(path, Array(full[..<(full.count / 2)]))
        let error = #expect(throws: DataError.self) { try IDXArray(contentsOfFile: path) }
        guard case .corruptGzip(let errorPath, _)? = error else {
            Issue.record("expected corruptGzip, got \(String(describing: error))"); return
        }
        #expect(errorPath == path)
    }
}
