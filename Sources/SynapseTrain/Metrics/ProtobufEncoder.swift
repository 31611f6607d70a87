import Foundation

/// Writes one protocol-buffer message in the binary wire format, field by field.
///
/// A message is a sequence of fields, each a key — `(field number << 3) | wire type` as a varint —
/// followed by its value: a varint (wire type 0: integers, bools, enums), 8 little-endian bytes
/// (1: double, fixed64), a varint length and that many bytes (2: strings, bytes, nested messages,
/// packed repeated numbers) or 4 little-endian bytes (5: float, fixed32). The caller writes the
/// fields it means to send, in any order; like proto3, fields left at their default are simply
/// not written. Used for TensorBoard event files (`TensorBoardEvent`) and meant for any other
/// protobuf format the project writes.
///
/// ```swift
/// var point = ProtobufEncoder()
/// point.int64(field: 2, 150)                    // 10 96 01
/// point.string(field: 1, "loss")                // 0a 04 6c 6f 73 73
/// point.message(field: 3) { $0.float(field: 1, 0.5) }
/// ```
public struct ProtobufEncoder: Sendable {
    /// How a field's value is laid out after its key.
    public enum WireType: UInt8, Sendable {
        /// A base-128 varint.
        case varint = 0
        /// 8 bytes, little-endian.
        case fixed64 = 1
        /// A varint byte count, then the bytes.
        case lengthDelimited = 2
        /// 4 bytes, little-endian.
        case fixed32 = 5
    }

    /// The message written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    /// The bytes of `value` as a base-128 varint: 7 bits per byte, least significant group
    /// first, the high bit set on every byte but the last (150 → 96 01).
    public static func varint(_ value: UInt64) -> [UInt8] {
        var encoder = ProtobufEncoder()
        encoder.appendVarint(value)
        return encoder.bytes
    }

    /// Appends a bare varint (no key); `key` and the typed writers build on it.
    public mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Appends a field's key. Field numbers run from 1 to 2^29 - 1.
    public mutating func key(field: Int, _ type: WireType) {
        precondition(field >= 1 && field < 1 << 29, "protobuf field numbers run from 1 to 2^29 - 1, got \(field)")
        appendVarint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    // MARK: Varint fields

    /// A `uint64` / `uint32` field.
    public mutating func uint64(field: Int, _ value: UInt64) {
        key(field: field, .varint)
        appendVarint(value)
    }

    /// An `int64` field: two's complement, so a negative value takes 10 bytes.
    public mutating func int64(field: Int, _ value: Int64) {
        uint64(field: field, UInt64(bitPattern: value))
    }

    /// An `int32` or enum field: sign-extended to 64 bits, as the format requires.
    public mutating func int32(field: Int, _ value: Int32) {
        int64(field: field, Int64(value))
    }

    /// A `sint64` / `sint32` field: zigzag-encoded, so small negative numbers stay short (-1 → 1, 1 → 2).
    public mutating func sint64(field: Int, _ value: Int64) {
        uint64(field: field, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A `bool` field (1 or 0).
    public mutating func bool(field: Int, _ value: Bool) {
        uint64(field: field, value ? 1 : 0)
    }

    // MARK: Fixed-width fields

    /// A `fixed64` / `sfixed64` field (the bits of `value`).
    public mutating func fixed64(field: Int, _ value: UInt64) {
        key(field: field, .fixed64)
        appendLittleEndian(value)
    }

    /// A `fixed32` / `sfixed32` field (the bits of `value`).
    public mutating func fixed32(field: Int, _ value: UInt32) {
        key(field: field, .fixed32)
        appendLittleEndian(value)
    }

    /// A `double` field: its IEEE 754 bits as fixed64.
    public mutating func double(field: Int, _ value: Double) {
        fixed64(field: field, value.bitPattern)
    }

    /// A `float` field: its IEEE 754 bits as fixed32.
    public mutating func float(field: Int, _ value: Float) {
        fixed32(field: field, value.bitPattern)
    }

    // MARK: Length-delimited fields

    /// A `bytes` field.
    public mutating func bytes<Bytes: Collection<UInt8>>(field: Int, _ value: Bytes) {
        key(field: field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    public mutating func string(field: Int, _ value: String) {
        bytes(field: field, Array(value.utf8))
    }

    /// An embedded message field, already encoded.
    public mutating func message(field: Int, _ value: ProtobufEncoder) {
        bytes(field: field, value.bytes)
    }

    /// An embedded message field, built by `build`.
    public mutating func message(field: Int, _ build: (inout ProtobufEncoder) -> Void) {
        var nested = ProtobufEncoder()
        build(&nested)
        message(field: field, nested)
    }

    /// A packed repeated `int64` / `int32` field: one length-delimited field holding the varints.
    public mutating func packedInt64(field: Int, _ values: [Int64]) {
        var body = ProtobufEncoder()
        for v in values { body.appendVarint(UInt64(bitPattern: v)) }
        bytes(field: field, body.bytes)
    }

    /// A packed repeated `float` field: 4 little-endian bytes per value.
    public mutating func packedFloat(field: Int, _ values: [Float]) {
        var body = ProtobufEncoder()
        for v in values { body.appendLittleEndian(v.bitPattern) }
        bytes(field: field, body.bytes)
    }

    /// A packed repeated `double` field: 8 little-endian bytes per value.
    public mutating func packedDouble(field: Int, _ values: [Double]) {
        var body = ProtobufEncoder()
        for v in values { body.appendLittleEndian(v.bitPattern) }
        bytes(field: field, body.bytes)
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
