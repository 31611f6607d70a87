/// Two adjacent token ids, as a byte-pair merge joins them: `first` then `second`.
///
/// Held as one 64-bit key (`first` in the high half), so it hashes as one word and pairs
/// order as (first, second) do: the order that breaks ties between equally frequent pairs.
public struct TokenPair: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `first` in bits 32…63, `second` in bits 0…31 (both are non-negative ids).
    let key: UInt64

    /// The pair (`first`, `second`); both ids must be non-negative.
    public init(_ first: Int32, _ second: Int32) {
        precondition(first >= 0 && second >= 0, "TokenPair: ids must be non-negative, got (\(first), \(second))")
        key = UInt64(UInt32(first)) << 32 | UInt64(UInt32(second))
    }

    /// The left token id.
    public var first: Int32 { Int32(truncatingIfNeeded: key >> 32) }
    /// The right token id.
    public var second: Int32 { Int32(truncatingIfNeeded: key & 0xFFFF_FFFF) }

    /// Lexicographic order on (first, second).
    public static func < (a: TokenPair, b: TokenPair) -> Bool { a.key < b.key }

    /// "(97, 98)".
    public var description: String { "(\(first), \(second))" }
}
