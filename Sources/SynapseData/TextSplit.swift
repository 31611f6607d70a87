/// A tokenized corpus cut into a training head and a validation tail: the first
/// `trainingCount` tokens train, the rest validate. Not shuffled: neighbouring characters
/// belong together, and held-out text must be text the model has not seen in any window.
///
/// With the default fraction 0.1 this is the peer's `n = int(0.9 * len(ids))`,
/// `ids[:n], ids[n:]` exactly (see `trainingCount`).
public struct TextSplit: Sendable {
    /// Training tokens. - Shape: [N_train].
    public let train: [Int32]
    /// Validation tokens, the tail of the corpus. - Shape: [N_val].
    public let validation: [Int32]
    /// The share of the tokens held out for validation.
    public let validationFraction: Double
    /// The corpus's path (or label), for messages about either part.
    public let source: String

    /// Splits `tokens`, holding out the last `validationFraction` of them.
    /// - Throws: `DataError.invalidSetting` unless `0 <= validationFraction < 1`;
    ///   `.invalidCorpus` if no token would remain for training.
    public init(tokens: [Int32], validationFraction: Double = 0.1, source: String) throws {
        let n = try TextSplit.trainingLength(tokens.count, validationFraction: validationFraction, source: source)
        self.init(train: Array(tokens[..<n]), validation: Array(tokens[n...]), validationFraction: validationFraction,
                  source: source)
    }

    /// The two parts, tokenized apart: a byte-pair run cuts the text by characters
    /// (`trainingCount` of the corpus's characters), then encodes each part, so that both
    /// tokenizers validate on the same text.
    public init(train: [Int32], validation: [Int32], validationFraction: Double, source: String) {
        self.train = train
        self.validation = validation
        self.validationFraction = validationFraction
        self.source = source
    }

    /// `trainingCount`, checked to leave at least one token (or character) for training.
    /// - Throws: as `trainingCount`; `.invalidCorpus` naming `source` when none would be left.
    public static func trainingLength(_ count: Int, validationFraction: Double, source: String) throws -> Int {
        let n = try trainingCount(count, validationFraction: validationFraction)
        guard n >= 1 else {
            throw DataError.invalidCorpus(path: source, reason: "\(count) characters leave none for "
                + "training with validation fraction \(validationFraction); use a longer corpus")
        }
        return n
    }

    /// Number of training tokens for a corpus of `count`: `⌊count · (1 − validationFraction)⌋`,
    /// computed in `Double` as `Int(Double(count) * (1 - validationFraction))`.
    ///
    /// For the default 0.1 this equals Python's `int(0.9 * count)` for every count, not just
    /// nearly: `1 - 0.1` rounds to the same binary64 number as the literal `0.9`
    /// (0.90000000000000002220…), so both sides multiply the same two doubles. On fortunes,
    /// 2,576,627 characters give 2,318,964 for training and 257,663 for validation.
    /// - Throws: `DataError.invalidSetting` unless `0 <= validationFraction < 1`.
    public static func trainingCount(_ count: Int, validationFraction: Double) throws -> Int {
        guard validationFraction >= 0, validationFraction < 1 else {
            throw DataError.invalidSetting("validation fraction \(validationFraction) must be in [0, 1) "
                + "(0.1 holds out the last 10 % of the text)")
        }
        return Int(Double(count) * (1 - validationFraction))
    }
}
