/// Bounds on the size and nesting of config text, checked BEFORE the text reaches the YAML
/// parser: Yams builds its node tree recursively, so a file nested a few thousand levels
/// deep (`[[[[…` or ever deeper indentation) overflows the stack and kills the process with
/// SIGSEGV instead of an error. A real config is a few kilobytes and nests three or four levels.
///
/// The depth is counted from the text itself, without parsing: one level per open flow
/// bracket (`[`, `{`) outside quotes and comments, one per block indentation step, and one per
/// indicator that opens a collection on the same line: `-` (`- - - x`), `?` (`? ? ? x`) and
/// `:`, each followed by a space, a tab or the end of the line. Lines end where the YAML
/// parser ends them: at `\n`, `\r\n`, a lone `\r`, NEL (U+0085), LS (U+2028) or PS (U+2029),
/// so a file whose lines end in `\r` alone is not one long line. This over-counts in odd
/// corners (a block scalar with many indentation steps), never under-counts, and is far from
/// the limit for any real config.
enum YAMLLimits {
    /// The largest config text accepted, in bytes (real ones are a few KB).
    static let maximumBytes = 4 << 20
    /// The deepest nesting accepted (real configs nest 3–4 levels).
    static let maximumDepth = 64

    /// Where `text` first exceeds a limit, or nil when it is within them.
    struct Violation: Equatable {
        /// 1-based line of the problem (the line where the depth first exceeds the limit;
        /// nil for the size limit).
        var line: Int?
        /// What is wrong and how to fix it.
        var message: String
    }

    /// The first limit `text` breaks, or nil.
    static func violation(in text: String) -> Violation? {
        let size = text.utf8.count
        if size > maximumBytes {
            return Violation(line: nil, message: "the text is \(size) bytes, more than the \(maximumBytes)-byte (4 MiB) limit "
                             + "for a config; a config is a few kilobytes: check that this is the right file")
        }
        var indents: [Int] = []   // block indentation levels open above the current line
        var flowDepth = 0         // open [ and { (they may span lines)
        var lineNumber = 0
        let bytes = Array(text.utf8)
        for lineRange in lines(of: bytes) {
            lineNumber += 1
            let line = bytes[lineRange]
            var index = line.startIndex
            var indent = 0
            while index != line.endIndex, line[index] == UInt8(ascii: " ") { indent += 1; index = line.index(after: index) }
            if index == line.endIndex || line[index] == UInt8(ascii: "#") { continue }
            if flowDepth == 0 {
                while let last = indents.last, last >= indent { indents.removeLast() }
                indents.append(indent)
            }
            // `- `, `? ` and `: ` markers at the start of the content: each opens one more
            // nested collection (YAML separates them by spaces or tabs).
            var itemMarkers = 0
            while index != line.endIndex, [UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":")].contains(line[index]) {
                let next = line.index(after: index)
                guard next == line.endIndex || isBlank(line[next]) else { break }
                itemMarkers += 1
                index = next
                while index != line.endIndex, isBlank(line[index]) { index = line.index(after: index) }
            }
            var quote: UInt8? = nil
            var previous = UInt8(ascii: " ")
            var deepest = flowDepth
            while index != line.endIndex {
                let c = line[index]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "#") && (previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t")) {
                    break
                } else if (c == UInt8(ascii: "\"") || c == UInt8(ascii: "'"))
                            && [UInt8(ascii: " "), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")].contains(previous) {
                    quote = c
                } else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    flowDepth += 1
                    deepest = max(deepest, flowDepth)
                } else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                    flowDepth = max(0, flowDepth - 1)
                }
                previous = c
                index = line.index(after: index)
            }
            let depth = indents.count + itemMarkers + deepest
            if depth > maximumDepth {
                return Violation(line: lineNumber, message: "the text nests more than \(maximumDepth) levels deep "
                                 + "(lists and sections inside each other); a config nests 3 or 4: check the brackets "
                                 + "and the indentation")
            }
        }
        return nil
    }

    private static func isBlank(_ c: UInt8) -> Bool { c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }

    /// The lines of `bytes` (UTF-8), split at every line break the YAML parser knows (YAML
    /// 1.1, as libyaml reads it): LF, CR LF, CR, NEL (C2 85), LS (E2 80 A8), PS (E2 80 A9).
    static func lines(of bytes: [UInt8]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            let breakLength: Int
            switch bytes[i] {
            case UInt8(ascii: "\n"): breakLength = 1
            case UInt8(ascii: "\r"): breakLength = i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") ? 2 : 1
            case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0x85: breakLength = 2
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                breakLength = 3
            default:
                i += 1
                continue
            }
            result.append(start..<i)
            i += breakLength
            start = i
        }
        result.append(start..<bytes.count)
        return result
    }
}
