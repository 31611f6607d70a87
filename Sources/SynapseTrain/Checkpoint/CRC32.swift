import CZlib
import Foundation

/// CRC-32 (the zlib / PNG / gzip polynomial 0xEDB88320) of a byte sequence, computed by zlib.
///
/// Checkpoints record one per file in `state.json`, so a flipped bit or a truncated copy is
/// detected before a damaged model is loaded. The same value comes from Python's
/// `zlib.crc32(bytes)` and from `crc32` command-line tools.
public enum CRC32 {
    /// The CRC-32 of `data`.
    public static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { checksum(UnsafeRawBufferPointer($0)) }
    }

    /// The CRC-32 of the bytes in `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc32(0, nil, 0)
        guard var pointer = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return UInt32(crc) }
        var remaining = bytes.count
        // zlib takes a 32-bit length: feed files larger than 4 GiB in pieces.
        let chunk = 1 << 30
        while remaining > 0 {
            let n = min(remaining, chunk)
            crc = crc32(crc, pointer, uInt(n))
            pointer += n
            remaining -= n
        }
        return UInt32(crc)
    }
}
