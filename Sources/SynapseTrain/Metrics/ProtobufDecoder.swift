import Foundation

/// Reads the fields of one protocol-buffer message (the inverse of `ProtobufEncoder`), without a
/// schema: each field comes back as its number and raw value, and the caller picks the ones it
/// knows. Used to read back TensorBoard event files on resume (`TensorBoardEvent.parse`).
public struct ProtobufDecoder {
    /// One field's value, as the wire type carries it.
    public enum Value: Equatable, Sendable {
        /// Wire type 0: an integer, bool or enum (an `int64` is `Int64(bitPattern:)` of it).
        case varint(UInt64)
        /// Wire type 1: 8 bytes (double, fixed64).
        case fixed64(UInt64)
        /// Wire type 2: string, bytes, embedded message or packed numbers.
        case bytes([UInt8])
        /// Wire type 5: 4 bytes (float, fixed32).
        case fixed32(UInt32)
    }

    /// A message is malformed: a varint longer than 10 bytes, a length past the end, or a wire
    /// type this decoder does not know (the deprecated groups, 3 and 4).
    public struct Malformed: Error, Equatable {}

    private let bytes: [UInt8]

    /// A decoder over `bytes`, one whole message.
    public init<Bytes: Collection<UInt8>>(_ bytes: Bytes) { self.bytes = Array(bytes) }

    /// Every field of the message in order (a repeated field appears once per element).
    public func fields() throws(Malformed) -> [(field: Int, value: Value)] {
        var out: [(Int, Value)] = []
        var i = 0
        func varint() throws(Malformed) -> UInt64 {
            var result: UInt64 = 0
            for shift in stride(from: 0, to: 70, by: 7) {
                guard i < bytes.count else { throw Malformed() }
                let byte = bytes[i]
                i += 1
                result |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return result }
            }
            throw Malformed()
        }
        func take(_ n: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - i else { throw Malformed() }
            defer { i += n }
            return bytes[i..<i + n]
        }
        func littleEndian(_ n: Int) throws(Malformed) -> UInt64 {
            try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            guard field >= 1 && field < 1 << 29 else { throw Malformed() }
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1: out.append((field, .fixed64(try littleEndian(8))))
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count) else { throw Malformed() }
                out.append((field, .bytes(Array(try take(Int(length))))))
            case 5: out.append((field, .fixed32(UInt32(try littleEndian(4)))))
            default: throw Malformed()
            }
        }
        return out
    }
}
