/// Maps text to byte-level byte-pair tokens and back, as GPT-2 does in spirit: tokens 0…255
/// are the byte values, token 256 + k is merge k, the pair of earlier tokens it joins. Any
/// byte string encodes (no unknown characters, ever), and decoding concatenates the tokens'
/// bytes, so `decode(encode(text)) == text` exactly for every string, and `bytes(of:)` gives
/// back every byte string exactly.
///
/// Learning (`init(learningFrom:vocabularySize:)`, see `BytePairLearner`) reads the training
/// text only. Encoding cuts the text into chunks (`TextChunks`: words with their leading
/// space, numbers, punctuation runs, white space), then in each chunk repeatedly merges the
/// adjacent pair with the lowest merge index, all its occurrences left to right, until no
/// pair of the chunk is a merge — GPT-2's `bpe()`. This gives the same tokens as applying the
/// merges one after the other in learned order (a merge only creates pairs holding its new
/// token, which rank after it), so the training text encodes exactly as learning split it.
///
/// Saved with each checkpoint as JSON (the merges as pairs of ids, in order):
///
///     {"kind": "bpe", "merges": [[101, 32], [116, 104], [256, 114], …]}
///
/// Reference: Sennrich et al. 2016 (byte-pair encoding for subwords); Radford et al. 2019
/// §2.2 and openai/gpt-2 `src/encoder.py` (byte level, `bpe()` by rank).
public struct BytePairTokenizer: Codable, Equatable, Sendable {
    /// The merges in learned order: merge k makes token 256 + k. - Shape: [V − 256].
    public let merges: [TokenPair]
    /// Merge index of each merged pair.
    private let ranks: [TokenPair: Int32]
    /// The bytes of every token, concatenated; token t's are `tokenBytes[starts[t] ..< starts[t + 1]]`.
    private let tokenBytes: [UInt8]
    /// - Shape: [V + 1].
    private let starts: [Int]

    /// The most tokens a vocabulary may hold: ids stay far below 2²⁴, where `Float` stops
    /// holding whole numbers exactly (ids travel in `Float` tensors).
    public static let maximumVocabularySize = 65_536

    /// Vocabulary size V = 256 + number of merges.
    public var count: Int { 256 + merges.count }

    /// A tokenizer with these merges. Each merge must join tokens that exist before it
    /// (ids below 256 + its index), as learning produces them (checked by the callers).
    init(checkedMerges merges: [TokenPair]) {
        self.merges = merges
        var ranks: [TokenPair: Int32] = [:]
        var bytes = (0...255).map { UInt8($0) }
        var starts = Array(0...256)
        for (k, pair) in merges.enumerated() {
            ranks[pair] = Int32(k)
            for t in [Int(pair.first), Int(pair.second)] { bytes += Array(bytes[starts[t]..<starts[t + 1]]) }   // a copy: appending a slice of itself would copy all
            starts.append(bytes.count)
        }
        self.ranks = ranks
        self.tokenBytes = bytes
        self.starts = starts
    }

    /// Learns merges from `bytes` (the training text's UTF-8) until the vocabulary holds
    /// `vocabularySize` tokens, or no pair of adjacent tokens occurs twice any more (then it
    /// holds fewer; see `BytePairLearner`).
    /// - Throws: `DataError.invalidSetting` unless `256 < vocabularySize <= maximumVocabularySize`.
    public init(learningFrom bytes: [UInt8], vocabularySize: Int) throws {
        guard vocabularySize > 256 && vocabularySize <= Self.maximumVocabularySize else {
            throw DataError.invalidSetting("byte-pair vocabulary size \(vocabularySize) must be more than 256 (the byte "
                + "values, plus at least one merge) and at most \(Self.maximumVocabularySize); e.g. 512")
        }
        var learner = BytePairLearner(bytes: bytes)
        self.init(checkedMerges: learner.learn(merges: vocabularySize - 256))
    }

    /// Learns merges from `text`'s UTF-8 bytes (see `init(learningFrom:vocabularySize:)`).
    public init(learningFrom text: String, vocabularySize: Int) throws {
        try self.init(learningFrom: Array(text.utf8), vocabularySize: vocabularySize)
    }

    // MARK: Encoding

    /// The tokens of `bytes`, any byte string. - Shape: [N bytes] → [n ≤ N].
    public func encode(bytes: [UInt8]) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count / 2)
        var known: [ArraySlice<UInt8>: [Int32]] = [:]   // a text repeats its words: encode each once
        bytes.withUnsafeBufferPointer { buffer in
            TextChunks.forEach(in: buffer) { range in
                let chunk = bytes[range]
                if let tokens = known[chunk] {
                    ids += tokens
                } else {
                    let tokens = encode(chunk: chunk)
                    known[chunk] = tokens
                    ids += tokens
                }
            }
        }
        return ids
    }

    /// The tokens of `text`'s UTF-8 bytes.
    public func encode(_ text: String) -> [Int32] { encode(bytes: Array(text.utf8)) }

    /// The tokens of the UTF-8 bytes of `characters`.
    public func encode(_ characters: some Sequence<Unicode.Scalar>) -> [Int32] {
        encode(bytes: Self.utf8(characters))
    }

    /// The UTF-8 bytes of `characters`.
    public static func utf8(_ characters: some Sequence<Unicode.Scalar>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.underestimatedCount)
        for c in characters { Unicode.UTF8.encode(c) { bytes.append($0) } }
        return bytes
    }

    /// The tokens of one chunk: merge the lowest-ranked pair present, everywhere in the
    /// chunk, until no pair is a merge. O(L · min(L, M)) for L bytes; L is capped by `TextChunks`.
    func encode(chunk: ArraySlice<UInt8>) -> [Int32] {
        var tokens = chunk.map { Int32($0) }
        while tokens.count > 1 {
            var best = Int32.max
            for i in 0..<(tokens.count - 1) {
                if let rank = ranks[TokenPair(tokens[i], tokens[i + 1])], rank < best { best = rank }
            }
            guard best != .max else { break }
            tokens = BytePairLearner.merged(tokens, merges[Int(best)], into: 256 + best)
        }
        return tokens
    }

    // MARK: Decoding

    /// The bytes of token `id`.
    /// - Throws: `DataError.unknownTokenID` for an id outside `0..<count`.
    public func bytes(of id: Int32, position: Int = 0) throws -> ArraySlice<UInt8> {
        guard id >= 0 && Int(id) < count else {
            throw DataError.unknownTokenID(id: Int(id), position: position, vocabularySize: count)
        }
        return tokenBytes[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    /// The bytes of `ids`, concatenated: the exact inverse of `encode(bytes:)`.
    /// - Throws: `DataError.unknownTokenID` for the first id outside `0..<count`.
    public func bytes(of ids: some Sequence<Int32>) throws -> [UInt8] {
        var out: [UInt8] = []
        for (position, id) in ids.enumerated() { out += try bytes(of: id, position: position) }
        return out
    }

    /// The text of `ids`: their bytes decoded as UTF-8, exact for the tokens of any string
    /// (bytes that are not UTF-8, from ids no string encodes to, become U+FFFD).
    /// - Throws: `DataError.unknownTokenID` for the first id outside `0..<count`.
    public func decode(_ ids: some Sequence<Int32>) throws -> String {
        String(decoding: try bytes(of: ids), as: UTF8.self)
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey { case kind, merges }

    /// Restores a saved tokenizer.
    ///
    /// Throws `DecodingError.dataCorrupted` for another kind of tokenizer, or a merge that is
    /// not two ids of tokens made before it, instead of silently mapping ids to other bytes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func corrupt(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorrupted(DecodingError.Context(codingPath: container.codingPath + [key],
                debugDescription: message + "; the saved tokenizer is damaged: resume from another checkpoint"))
        }
        let kind = try container.decode(String.self, forKey: .kind)
        guard kind == Self.kind else { throw corrupt(.kind, "tokenizer kind \"\(kind)\" is not \"\(Self.kind)\"") }
        let lists = try container.decode([[Int64]].self, forKey: .merges)
        guard lists.count <= Self.maximumVocabularySize - 256 else {
            throw corrupt(.merges, "\(lists.count) merges are more than the \(Self.maximumVocabularySize - 256) allowed")
        }
        var merges: [TokenPair] = []
        for (k, ids) in lists.enumerated() {
            guard ids.count == 2, ids.allSatisfy({ $0 >= 0 && $0 < 256 + k }) else {
                throw corrupt(.merges, "merge \(k), \(ids), is not a pair of ids of earlier tokens (each in 0..<\(256 + k))")
            }
            merges.append(TokenPair(Int32(ids[0]), Int32(ids[1])))
        }
        guard Set(merges).count == merges.count else { throw corrupt(.merges, "a pair is merged twice") }
        self.init(checkedMerges: merges)
    }

    /// Saves the tokenizer as `{"kind": "bpe", "merges": [[first, second], ...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(merges.map { [$0.first, $0.second] }, forKey: .merges)
    }

    /// The `kind` this tokenizer writes.
    public static let kind = "bpe"

    /// Equal when the merges are (everything else follows from them).
    public static func == (a: BytePairTokenizer, b: BytePairTokenizer) -> Bool { a.merges == b.merges }
}
