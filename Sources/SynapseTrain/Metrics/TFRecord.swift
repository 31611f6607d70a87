import Foundation

/// The TFRecord framing of TensorBoard event files: each record is
///
///     uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
///     length bytes of data          | uint32 masked CRC-32C of the data
///
/// A reader that meets a record cut short (a run killed mid-write) or a failed checksum stops
/// there, so a file holds a readable prefix whatever happens to its tail.
public enum TFRecord {
    /// TFRecord's "masked" CRC-32C: rotated right by 15 bits plus a constant, so that a CRC of
    /// data that itself holds CRCs does not collapse.
    public static func maskedCRC<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        let crc = CRC32Table.castagnoli.checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// `data` framed as one record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        out += length
        withUnsafeBytes(of: maskedCRC(length).littleEndian) { out.append(contentsOf: $0) }
        out += data
        withUnsafeBytes(of: maskedCRC(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The records of a file's bytes, up to the first one that is cut short or fails a check.
    /// - Returns: the records' data, and whether the whole file was read (false: a damaged or
    ///   truncated tail was left out).
    public static func records(in file: [UInt8]) -> (records: [[UInt8]], complete: Bool) {
        var records: [[UInt8]] = []
        var i = 0
        func uint32(at j: Int) -> UInt32 { file[j..<j + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while i < file.count {
            guard file.count - i >= 16 else { return (records, false) }
            let lengthBytes = file[i..<i + 8]
            guard uint32(at: i + 8) == maskedCRC(lengthBytes) else { return (records, false) }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= UInt64(file.count - i - 16) else { return (records, false) }
            let start = i + 12, end = start + Int(length)
            guard uint32(at: end) == maskedCRC(file[start..<end]) else { return (records, false) }
            records.append(Array(file[start..<end]))
            i = end + 4
        }
        return (records, true)
    }
}
