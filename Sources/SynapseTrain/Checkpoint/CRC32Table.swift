import Foundation

/// A table-driven CRC-32 for any reflected polynomial (bits processed least significant first,
/// initial value and final xor 0xFFFFFFFF), one byte per table look-up.
///
/// Two polynomials are in use: zlib's 0xEDB88320 (checkpoints, through zlib's faster
/// `CRC32.checksum` for files of gigabytes; `CRC32Table.zlib` gives the same values and the
/// tests hold the two together) and Castagnoli's 0x82F63B78 (`CRC32Table.castagnoli`, CRC-32C:
/// the TFRecord framing of TensorBoard event files, where each record is small).
public struct CRC32Table: Sendable {
    /// The reflected polynomial, e.g. 0x82F63B78 for CRC-32C.
    public let polynomial: UInt32
    private let table: [UInt32]

    /// The table for `polynomial` (reflected form).
    public init(reflectedPolynomial polynomial: UInt32) {
        self.polynomial = polynomial
        table = (0..<256).map { (byte: UInt32) in
            var crc = byte
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            return crc
        }
    }

    /// CRC-32 with zlib's polynomial (IEEE 802.3, PNG, gzip): `CRC32.checksum` computes the same.
    public static let zlib = CRC32Table(reflectedPolynomial: 0xEDB8_8320)
    /// CRC-32C (Castagnoli, iSCSI, TFRecord): "123456789" → 0xE3069283.
    public static let castagnoli = CRC32Table(reflectedPolynomial: 0x82F6_3B78)

    /// The checksum of `bytes`.
    public func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
