/// How many characters (Unicode scalars) each token of a token stream completes, summed over
/// any run of tokens in O(1): the denominator of bits per character, which is
/// (nats of the predicted tokens) / (characters those tokens complete) / ln 2.
///
/// A token *completes* a character when it holds the character's last byte. Exactly: byte j
/// of the stream ends a character when byte j + 1 is not a UTF-8 continuation byte
/// (10xxxxxx), or j is the last byte; a token's count is the number of such bytes among its
/// own. For valid UTF-8 these are the last bytes of the scalars, so the counts add up to the
/// text's number of characters, every character counted once: by the token that finishes
/// it. A byte-pair token may hold a character's first byte and the next token its last one;
/// that character is the second token's (a model has predicted it only once both are
/// predicted). A character tokenizer's tokens complete one character each.
public struct TokenCharacterCounts: Sendable {
    /// `prefix[i]`: characters completed by tokens `0..<i`; nil when every token completes
    /// exactly one. - Shape: [n + 1].
    private let prefix: [Int]?
    /// Number of tokens n.
    public let tokenCount: Int

    /// One character per token (a character tokenizer's stream of `tokenCount` tokens).
    public init(onePerToken tokenCount: Int) {
        self.tokenCount = tokenCount
        prefix = nil
    }

    /// The counts of a stream of `tokens` whose bytes `bytes(of:)` gives.
    public init(tokens: [Int32], bytes: (Int32) -> ArraySlice<UInt8>) {
        // For token t: its bytes after the first that are not continuations end the character
        // before them; its last byte ends one when the next token starts with a non-continuation.
        func startsCharacter(_ b: UInt8) -> Int { TextChunks.isContinuation(b) ? 0 : 1 }
        var prefix = [Int](repeating: 0, count: tokens.count + 1)
        for (i, t) in tokens.enumerated() {
            let own = bytes(t)
            var completed = 0
            for b in own.dropFirst() { completed += startsCharacter(b) }
            if i + 1 < tokens.count {
                completed += bytes(tokens[i + 1]).first.map(startsCharacter) ?? 0
            } else {
                completed += own.isEmpty ? 0 : 1
            }
            prefix[i + 1] = prefix[i] + completed
        }
        self.prefix = prefix
        tokenCount = tokens.count
    }

    /// Characters completed by the tokens at `positions` (within `0..<tokenCount`).
    public func characters(in positions: Range<Int>) -> Int {
        precondition(positions.lowerBound >= 0 && positions.upperBound <= tokenCount,
                     "TokenCharacterCounts: tokens \(positions) outside 0..<\(tokenCount)")
        guard let prefix else { return positions.count }
        return prefix[positions.upperBound] - prefix[positions.lowerBound]
    }

    /// Characters completed by the whole stream.
    public var total: Int { characters(in: 0..<tokenCount) }
}
