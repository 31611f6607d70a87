/// Cuts UTF-8 text into the chunks a byte-pair tokenizer merges within: merges never cross a
/// chunk boundary, so a token never spans two words. "The dog." is `The`, ` dog`, `.`; as in
/// GPT-2 a word carries the single space before it, so ` dog` is one token once learned.
///
/// The rule reads bytes, so it is defined for every byte string, valid UTF-8 or not, and it
/// never cuts a multi-byte character:
/// - each byte is a *letter* (an ASCII letter, or any byte ≥ 0x80, so every non-ASCII
///   character — é, ж, 日, 😀, a combining accent — belongs to words), a *digit* (0–9),
///   *white space* (space, \t, \n, \v, \f, \r) or *other* (the rest of ASCII: punctuation,
///   symbols, control bytes);
/// - a chunk is a maximal run of letters, of digits or of others, with the one space (0x20)
///   just before it if there is one; or a maximal run of white space, less its last byte when
///   that is a space followed by a letter, digit or other (that space then begins the next
///   chunk: GPT-2's `\s+(?!\S)`);
/// - a run is cut after `maximumLength` bytes (at the next character boundary, so at most 3
///   bytes later), because encoding a chunk costs time quadratic in its length and text
///   without spaces (Chinese, a base64 blob) would otherwise be one chunk.
///
/// Differences from GPT-2's regular expression (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
/// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`): contractions are not split off ("'s" is `'` + `s`);
/// non-ASCII symbols, digits and spaces count as letters; a white-space run before a word
/// gives up only a trailing space 0x20 (GPT-2 gives up any trailing white-space character);
/// runs are capped. Reference: Radford et al. 2019, "Language Models are Unsupervised
/// Multitask Learners", §2.2; openai/gpt-2 `src/encoder.py`.
public enum TextChunks {
    /// The longest run of one kind before it is cut, in bytes (a chunk may hold one leading
    /// space and up to 3 bytes more to finish a character).
    public static let maximumLength = 64

    /// Calls `body` with the range of each chunk of `bytes`, in order; the ranges are
    /// adjacent, non-empty and cover `bytes`.
    public static func forEach(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let n = bytes.count
        var i = 0
        while i < n {
            let start = i
            if bytes[i] == space, i + 1 < n, kind(bytes[i + 1]) != .whiteSpace { i += 1 }   // " word"
            let k = kind(bytes[i])
            var j = i + 1
            if k == .whiteSpace {
                while j < n && kind(bytes[j]) == .whiteSpace { j += 1 }
                if j < n && j - 1 > i && bytes[j - 1] == space { j -= 1 }   // leave " " to the next word
            } else {
                while j < n && kind(bytes[j]) == k
                        && (j - i < maximumLength || (isContinuation(bytes[j]) && j - i < maximumLength + 3)) {
                    j += 1
                }
            }
            body(start..<j)
            i = j
        }
    }

    /// The chunks of `bytes`, as ranges (see `forEach(in:_:)`).
    public static func ranges(of bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { forEach(in: $0) { ranges.append($0) } }
        return ranges
    }

    /// Whether `byte` continues a multi-byte UTF-8 character (10xxxxxx).
    @inline(__always)
    public static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    private static let space: UInt8 = 0x20

    private enum Kind { case letter, digit, whiteSpace, other }

    @inline(__always)
    private static func kind(_ b: UInt8) -> Kind {
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0x80...0xFF: .letter
        case 0x30...0x39: .digit
        case 0x20, 0x09...0x0D: .whiteSpace
        default: .other
        }
    }
}
