/// Maps text to token ids one character (Unicode scalar) at a time, and back.
///
/// The vocabulary is the sorted set of the corpus's code points, so id `i` is the `i`-th
/// smallest: exactly the peer's `chars = sorted(set(text))`, `index = {c: i …}` (Python
/// sorts `str`s of one code point by code point). It is `Codable`, so it is saved as JSON with
/// each checkpoint and a model can be resumed, evaluated or sampled without the corpus:
///
///     {"kind": "characters", "code_points": [10, 32, 33, …]}
///
/// Code points, not a string of the characters, so that no JSON tool can normalize,
/// re-encode or merge them ("\r\n", combining marks) on the way.
public struct CharacterTokenizer: Codable, Equatable, Sendable {
    /// The characters, ascending by code point; a character's id is its index. - Shape: [V].
    public let vocabulary: [Unicode.Scalar]
    /// Id of each code point below `table.count`, -1 where the code point is not in the
    /// vocabulary (at most 4.4 MB, for a vocabulary reaching U+10FFFF; 1 KB for fortunes).
    private let table: [Int32]

    /// Vocabulary size V.
    public var count: Int { vocabulary.count }

    /// The tokenizer of `characters`: its distinct code points, sorted.
    public init(characters: some Sequence<Unicode.Scalar>) {
        var seen = [Bool](repeating: false, count: 0x11_0000)  // one flag per code point
        for c in characters { seen[Int(c.value)] = true }
        let vocabulary = seen.indices.filter { seen[$0] }.map { Unicode.Scalar(UInt32($0))! }
        self.init(sortedVocabulary: vocabulary)
    }

    /// The tokenizer of a corpus's characters.
    public init(corpus: TextCorpus) { self.init(characters: corpus.characters) }

    /// The tokenizer of `text`'s characters.
    public init(text: String) { self.init(characters: text.unicodeScalars) }

    /// A tokenizer whose vocabulary is already strictly ascending (checked by the callers).
    private init(sortedVocabulary: [Unicode.Scalar]) {
        vocabulary = sortedVocabulary
        var table = [Int32](repeating: -1, count: Int(sortedVocabulary.last?.value ?? 0) + 1)
        for (id, c) in sortedVocabulary.enumerated() { table[Int(c.value)] = Int32(id) }
        self.table = table
    }

    /// The id of `character`, or `nil` if it is not in the vocabulary.
    public func id(of character: Unicode.Scalar) -> Int32? {
        let v = Int(character.value)
        guard v < table.count, table[v] >= 0 else { return nil }
        return table[v]
    }

    /// The ids of `characters`, one per character. - Shape: [N] → [N].
    /// - Throws: `DataError.unknownCharacter` naming the first character outside the
    ///   vocabulary and its position (counted in characters from 0); `source` names the text.
    public func encode(_ characters: some Collection<Unicode.Scalar>, source: String = "text") throws -> [Int32] {
        var ids = [Int32]()
        ids.reserveCapacity(characters.count)
        for c in characters {
            guard let id = id(of: c) else {
                throw DataError.unknownCharacter(source: source, character: CharacterTokenizer.describe(c),
                                                 position: ids.count, vocabularySize: count)
            }
            ids.append(id)
        }
        return ids
    }

    /// The ids of `text`'s characters (code points, so "\r\n" is two ids).
    /// - Throws: `DataError.unknownCharacter` (see `encode(_:source:)`).
    public func encode(_ text: String) throws -> [Int32] {
        try encode(text.unicodeScalars, source: "text")
    }

    /// The text whose characters have the ids `ids`; exact inverse of `encode`.
    /// - Throws: `DataError.unknownTokenID` for the first id outside `0..<count`.
    public func decode(_ ids: some Sequence<Int32>) throws -> String {
        var view = String.UnicodeScalarView()
        for (position, id) in ids.enumerated() {
            guard id >= 0, Int(id) < count else {
                throw DataError.unknownTokenID(id: Int(id), position: position, vocabularySize: count)
            }
            view.append(vocabulary[Int(id)])
        }
        return String(view)
    }

    /// Checks that every character of `characters` is in the vocabulary: when resuming, the
    /// corpus must be encodable with the checkpoint's vocabulary.
    /// - Throws: `DataError.vocabularyMismatch` listing the missing characters met first, in
    ///   the order of their first occurrence (with its position), and how many there are.
    public func requireCovers(_ characters: some Sequence<Unicode.Scalar>, source: String) throws {
        var missing: [Unicode.Scalar: Int] = [:]  // character → first position
        for (position, c) in characters.enumerated() where id(of: c) == nil && missing[c] == nil {
            missing[c] = position
        }
        guard !missing.isEmpty else { return }
        let shown = missing.sorted { $0.value < $1.value }.prefix(CharacterTokenizer.listedMissing)  // in text order
        throw DataError.vocabularyMismatch(
            source: source, missing: shown.map { "\(CharacterTokenizer.describe($0.key)) first at character \($0.value)" },
            missingCount: missing.count, vocabularySize: count)
    }

    /// Checks that `other`'s vocabulary is part of this one (a tokenizer built from the corpus
    /// against the checkpoint's).
    /// - Throws: `DataError.vocabularyMismatch` listing the first missing characters.
    public func requireCovers(_ other: CharacterTokenizer, source: String) throws {
        let missing = other.vocabulary.filter { id(of: $0) == nil }
        guard !missing.isEmpty else { return }
        throw DataError.vocabularyMismatch(
            source: source, missing: missing.prefix(CharacterTokenizer.listedMissing).map(CharacterTokenizer.describe),
            missingCount: missing.count, vocabularySize: count)
    }

    /// How many missing characters an error lists.
    static let listedMissing = 10

    /// A character as an error message shows it: `'é' (U+00E9)` when printable, otherwise
    /// its code point and escape, such as `U+000A ("\n")`, or `U+0080 (unprintable)`.
    public static func describe(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        switch c.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator,
             .surrogate, .privateUse, .unassigned:
            if c == " " { return "' ' (U+0020)" }
            let escaped = c.escaped(asASCII: true)  // "\n", "\t", "\r", "\0" or "\u{80}"
            return escaped.hasPrefix("\\u") ? "\(code) (unprintable)" : "\(code) (\"\(escaped)\")"
        default:
            return "'\(c)' (\(code))"
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case kind, codePoints = "code_points" }

    /// Restores a saved tokenizer.
    ///
    /// Throws `DecodingError.dataCorrupted` for another kind of tokenizer, an empty list, a
    /// number that is not a Unicode scalar, or a list not strictly ascending, instead of
    /// silently mapping ids to the wrong characters.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        func corrupt(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorrupted(DecodingError.Context(codingPath: container.codingPath + [key],
                debugDescription: message + "; the saved tokenizer is damaged: resume from another checkpoint"))
        }
        guard kind == CharacterTokenizer.kind else {
            throw corrupt(.kind, "tokenizer kind \"\(kind)\" is not \"\(CharacterTokenizer.kind)\"")
        }
        let values = try container.decode([UInt32].self, forKey: .codePoints)
        guard !values.isEmpty else { throw corrupt(.codePoints, "the vocabulary is empty") }
        var scalars: [Unicode.Scalar] = []
        for (i, v) in values.enumerated() {
            guard let c = Unicode.Scalar(v) else {
                throw corrupt(.codePoints, "entry \(i), \(v), is not a Unicode scalar (a surrogate or above 0x10FFFF)")
            }
            guard i == 0 || v > values[i - 1] else {
                throw corrupt(.codePoints, "entry \(i), \(v), does not follow \(values[i - 1]): the code points must be strictly ascending")
            }
            scalars.append(c)
        }
        self.init(sortedVocabulary: scalars)
    }

    /// Saves the tokenizer as `{"kind": "characters", "code_points": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(CharacterTokenizer.kind, forKey: .kind)
        try container.encode(vocabulary.map(\.value), forKey: .codePoints)
    }

    /// The `kind` this tokenizer writes, so a byte-pair tokenizer's file is not read as one.
    public static let kind = "characters"

    /// Equal when the vocabularies are (the lookup table follows from it).
    public static func == (a: CharacterTokenizer, b: CharacterTokenizer) -> Bool { a.vocabulary == b.vocabulary }
}
