/// Turns bytes that arrive piece by piece into text as soon as characters are complete: a
/// byte-pair token can end in the middle of a multi-byte character ("é" is 0xC3 0xA9, and
/// may be two tokens), and generation prints each token as it is drawn.
///
/// The texts returned by `append` and then `finish`, concatenated, equal
/// `String(decoding: allBytes, as: UTF8.self)` (invalid bytes become U+FFFD exactly as
/// there): the decoder holds back only the bytes after the last character start that do not
/// yet complete that character, and cutting before a byte that is not a continuation byte
/// never splits an invalid sequence (Unicode §3.9, maximal subparts).
public struct UTF8StreamDecoder: Sendable {
    /// Bytes of a character begun but not complete. - Shape: [≤ 3].
    private var pending: [UInt8] = []

    /// An empty decoder.
    public init() {}

    /// Adds `bytes` and returns the text of the characters now complete (possibly empty).
    public mutating func append(_ bytes: some Sequence<UInt8>) -> String {
        pending += bytes
        // The last character start among the last 4 bytes, and how long its character is.
        var start = pending.count
        while start > 0 && pending.count - start < 4 {
            start -= 1
            if !TextChunks.isContinuation(pending[start]) { break }
        }
        var ready = pending.count
        if start < pending.count && !TextChunks.isContinuation(pending[start])
            && pending.count - start < Self.length(lead: pending[start]) {
            ready = start   // hold the incomplete character back
        }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// The text of the bytes still held (an incomplete character becomes U+FFFD); empties the decoder.
    public mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Bytes of the character a lead byte starts: 2 for C2–DF, 3 for E0–EF, 4 for F0–F4,
    /// otherwise 1 (ASCII, or a byte no valid character starts with).
    static func length(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }
}
