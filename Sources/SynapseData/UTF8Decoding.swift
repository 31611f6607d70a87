/// Bytes decoded as UTF-8 into Unicode scalars the way Python's
/// `bytes.decode("utf-8", errors="replace")` does: every maximal invalid subsequence (a stray
/// continuation byte, a sequence cut short, an overlong form, a surrogate) becomes one
/// U+FFFD REPLACEMENT CHARACTER, and decoding goes on after it.
///
/// Scalars, not `Character`s: Swift's `Character` is a grapheme cluster, which would merge
/// "\r\n" or "e" + combining accent into one, while Python's `str` (and so the peer's
/// vocabulary and window offsets) counts code points.
///
/// Reference: The Unicode Standard, §3.9 "U+FFFD Substitution of Maximal Subparts"; Python
/// documentation, "Error Handlers" (`replace`).
struct DecodedUTF8 {
    /// The decoded text, one element per code point. - Shape: [N].
    var scalars: [Unicode.Scalar] = []
    /// Byte offset at which each replaced (invalid) sequence starts, ascending.
    var invalidOffsets: [Int] = []

    /// Decodes `bytes` (any length; invalid sequences replaced, never rejected).
    init(_ bytes: [UInt8]) {
        scalars.reserveCapacity(bytes.count)  // at most one scalar per byte
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var offset = 0
        decoding: while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                scalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error(let length):
                scalars.append(DecodedUTF8.replacement)
                invalidOffsets.append(offset)
                offset += length
            case .emptyInput:
                break decoding
            }
        }
    }

    /// U+FFFD, what each invalid sequence becomes.
    static let replacement: Unicode.Scalar = "\u{FFFD}"
}
