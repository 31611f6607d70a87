/// The tokenizer of a text run: one token per character (`CharacterTokenizer`) or byte-level
/// byte pairs (`BytePairTokenizer`). Saved with every checkpoint as tokenizer.json, whose
/// `kind` says which (`"characters"` or `"bpe"`), so the checkpoints written before byte
/// pairs existed still load.
public enum TextTokenizer: Codable, Equatable, Sendable {
    /// One token per Unicode scalar of the corpus (`data.tokenizer: char`).
    case characters(CharacterTokenizer)
    /// Byte-level byte-pair tokens (`data.tokenizer: bpe`).
    case bytePairs(BytePairTokenizer)

    /// Vocabulary size V: the model's number of classes.
    public var count: Int {
        switch self {
        case .characters(let t): t.count
        case .bytePairs(let t): t.count
        }
    }

    /// The `kind` of its JSON: `"characters"` or `"bpe"`.
    public var kind: String {
        switch self {
        case .characters: CharacterTokenizer.kind
        case .bytePairs: BytePairTokenizer.kind
        }
    }

    /// "113 characters", or "512 byte-pair tokens (256 bytes + 256 merges)", for messages.
    public var summary: String {
        switch self {
        case .characters(let t): "\(t.count) characters"
        case .bytePairs(let t): "\(t.count) byte-pair tokens (256 bytes + \(t.merges.count) merges)"
        }
    }

    /// The ids of `characters`. - Shape: [N characters] → [n tokens] (n = N for characters).
    /// - Throws: `DataError.unknownCharacter` for a character outside a character
    ///   vocabulary (byte pairs encode any text); `source` names the text.
    public func encode(_ characters: some Collection<Unicode.Scalar>, source: String = "text") throws -> [Int32] {
        switch self {
        case .characters(let t): return try t.encode(characters, source: source)
        case .bytePairs(let t): return t.encode(characters)
        }
    }

    /// The ids of `text`. - Throws: see `encode(_:source:)`.
    public func encode(_ text: String) throws -> [Int32] {
        try encode(text.unicodeScalars, source: "text")
    }

    /// The text of `ids`, the exact inverse of `encode`.
    /// - Throws: `DataError.unknownTokenID` for the first id outside `0..<count`.
    public func decode(_ ids: some Sequence<Int32>) throws -> String {
        switch self {
        case .characters(let t): return try t.decode(ids)
        case .bytePairs(let t): return try t.decode(ids)
        }
    }

    /// The UTF-8 bytes of token `id`: its character's, or its byte pairs' (possibly part of a
    /// character; see `UTF8StreamDecoder`).
    /// - Throws: `DataError.unknownTokenID` for an id outside `0..<count`.
    public func bytes(of id: Int32) throws -> [UInt8] {
        switch self {
        case .characters(let t): return Array(try t.decode([id]).utf8)
        case .bytePairs(let t): return Array(try t.bytes(of: id))
        }
    }

    /// The characters each token of `tokens` completes (see `TokenCharacterCounts`); the ids
    /// must be this tokenizer's (from `encode`).
    public func characterCounts(of tokens: [Int32]) -> TokenCharacterCounts {
        switch self {
        case .characters: TokenCharacterCounts(onePerToken: tokens.count)
        case .bytePairs(let t): TokenCharacterCounts(tokens: tokens) { (try? t.bytes(of: $0)) ?? [] }
        }
    }

    /// The text generation starts from when there is no prompt: a newline, or a character
    /// vocabulary's first character when the text had no newline.
    public var defaultPrompt: String {
        switch self {
        case .characters(let t): t.id(of: "\n") != nil ? "\n" : String(t.vocabulary[0])
        case .bytePairs: "\n"
        }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case kind }

    /// Reads either kind of tokenizer.json, chosen by its `kind`.
    /// - Throws: `DecodingError.dataCorrupted` for an unknown kind or a damaged tokenizer.
    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .kind)
        switch kind {
        case CharacterTokenizer.kind: self = .characters(try CharacterTokenizer(from: decoder))
        case BytePairTokenizer.kind: self = .bytePairs(try BytePairTokenizer(from: decoder))
        default:
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [CodingKeys.kind],
                debugDescription: "tokenizer kind \"\(kind)\" is neither \"\(CharacterTokenizer.kind)\" nor "
                    + "\"\(BytePairTokenizer.kind)\"; the checkpoint was written by another program or is damaged"))
        }
    }

    /// Writes the tokenizer's own JSON (with its `kind`).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .characters(let t): try t.encode(to: encoder)
        case .bytePairs(let t): try t.encode(to: encoder)
        }
    }
}
