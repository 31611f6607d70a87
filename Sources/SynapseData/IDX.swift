/// An n-dimensional array of unsigned bytes read from an IDX file, the format of MNIST and
/// Fashion-MNIST (`train-images-idx3-ubyte`: shape [60000, 28, 28]).
///
/// Layout (all integers big-endian): two zero bytes; the element type (`0x08` = unsigned
/// byte, the only one supported here); the number of dimensions; one `UInt32` per dimension;
/// then the elements in row-major order, nothing after them.
///
/// Reference: Y. LeCun, C. Cortes, C. Burges, "The MNIST database of handwritten digits",
/// section "File formats for the MNIST database".
public struct IDXArray: Equatable, Sendable {
    /// Extent of each dimension, outermost first.
    public var shape: [Int]
    /// The elements in row-major order (`shape`'s product of them).
    public var bytes: [UInt8]

    /// An array with the given shape and elements.
    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count,
                     "IDXArray: \(bytes.count) bytes do not fill shape \(shape)")
        self.shape = shape
        self.bytes = bytes
    }

    /// Reads an IDX file, gzip-compressed or not.
    /// - Throws: `DataError` naming the path for a missing, unreadable, corrupt or malformed file.
    /// The header is read first: decompression stops as soon as the data passes the size the
    /// dimensions declare, so a small file that inflates to gigabytes is refused early.
    public init(contentsOfFile path: String) throws {
        try self.init(parsing: Gzip.readFile(atPath: path, limit: { try IDXArray.sizeLimit(header: $0, source: path) }),
                      source: path)
    }

    /// The whole file's size as the header at the start of `bytes` declares it (header plus
    /// the product of the dimensions), or nil while the header is incomplete.
    /// - Throws: the header errors of `init(parsing:source:)`, found as soon as the bytes show them.
    static func sizeLimit(header bytes: ArraySlice<UInt8>, source: String) throws -> Gzip.SizeLimit? {
        guard bytes.count >= 4 else { return nil }
        let dimensionCount = Int(bytes[bytes.startIndex + 3])
        guard bytes.count >= 4 + 4 * dimensionCount else { return nil }
        let header = Array(bytes.prefix(4 + 4 * dimensionCount))
        do {
            let empty = try IDXArray(parsing: header, source: source)   // all dimensions zero: no data at all
            return limit(shape: empty.shape, dataBytes: 0, headerBytes: header.count, source: source)
        } catch DataError.idxSizeMismatch(_, let shape, let expected, _) {
            guard expected < Int.max - header.count else {
                throw DataError.idxSizeMismatch(path: source, shape: shape, expectedBytes: Int.max, actualBytes: 0)
            }
            return limit(shape: shape, dataBytes: expected, headerBytes: header.count, source: source)
        }
    }

    private static func limit(shape: [Int], dataBytes: Int, headerBytes: Int, source: String) -> Gzip.SizeLimit {
        Gzip.SizeLimit(bytes: headerBytes + dataBytes) { size in
            .inconsistentDataset(path: source, reason: "holds at least \(size - headerBytes) data bytes after its header, "
                                 + "more than the \(dataBytes) its dimensions \(shape) declare; reading stopped there. "
                                 + "The file is damaged or is not the IDX file it claims to be: " + damagedFileHint)
        }
    }

    /// Parses the bytes of an (uncompressed) IDX file. `source` names the file in errors.
    ///
    /// The header is removed from `bytes` in place, so the elements are not copied: the
    /// 47 MB of Fashion-MNIST training images are held once.
    /// - Throws: `DataError.invalidIDXHeader` (bad magic, zero dimensions, header cut short),
    ///   `.unsupportedIDXDataType`, `.idxSizeMismatch` (data truncated or trailing bytes).
    public init(parsing bytes: consuming [UInt8], source: String) throws {
        guard bytes.count >= 4 else {
            throw DataError.invalidIDXHeader(path: source, reason:
                "the file has \(bytes.count) bytes, fewer than the 4-byte header start")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.invalidIDXHeader(path: source, reason:
                "the first two bytes are \(hex(bytes[0])) \(hex(bytes[1])), expected 00 00 "
                + "(is this an IDX file such as train-images-idx3-ubyte?)")
        }
        guard bytes[2] == IDXArray.unsignedByteType else {
            throw DataError.unsupportedIDXDataType(path: source, found: bytes[2])
        }
        let dimensionCount = Int(bytes[3])
        guard dimensionCount > 0 else {
            throw DataError.invalidIDXHeader(path: source, reason: "the header declares 0 dimensions")
        }
        let headerLength = 4 + 4 * dimensionCount
        guard bytes.count >= headerLength else {
            throw DataError.invalidIDXHeader(path: source, reason:
                "\(dimensionCount) dimensions need a \(headerLength)-byte header, the file has \(bytes.count) bytes")
        }
        var shape: [Int] = []
        var elementCount = 1
        var overflow = false
        for d in 0..<dimensionCount {
            let at = 4 + 4 * d
            let extent = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            shape.append(extent)
            if !overflow { (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: extent) }
        }
        let dataBytes = bytes.count - headerLength
        guard !overflow, elementCount == dataBytes else {
            throw DataError.idxSizeMismatch(path: source, shape: shape,
                                            expectedBytes: overflow ? Int.max : elementCount,
                                            actualBytes: dataBytes)
        }
        bytes.removeFirst(headerLength)  // moves the data down in place; no second buffer
        self.shape = shape
        self.bytes = bytes
    }

    /// The bytes of an IDX file holding this array (uncompressed): header, then elements.
    public func encoded() -> [UInt8] {
        precondition(shape.count <= 255 && shape.allSatisfy { $0 <= Int(UInt32.max) },
                     "IDXArray.encoded(): shape \(shape) does not fit an IDX header")
        var out: [UInt8] = [0, 0, IDXArray.unsignedByteType, UInt8(shape.count)]
        out.reserveCapacity(4 + 4 * shape.count + bytes.count)
        for extent in shape {
            let e = UInt32(extent)
            out += [UInt8(e >> 24), UInt8(e >> 16 & 0xff), UInt8(e >> 8 & 0xff), UInt8(e & 0xff)]
        }
        out += bytes
        return out
    }

    /// The IDX type code for unsigned bytes.
    public static let unsignedByteType: UInt8 = 0x08

    /// The name the IDX format gives an element type code, for error messages.
    static func typeName(_ code: UInt8) -> String {
        switch code {
        case 0x08: return "unsigned byte"
        case 0x09: return "signed byte"
        case 0x0B: return "16-bit integer"
        case 0x0C: return "32-bit integer"
        case 0x0D: return "32-bit float"
        case 0x0E: return "64-bit float"
        default: return "not an IDX type"
        }
    }
}
