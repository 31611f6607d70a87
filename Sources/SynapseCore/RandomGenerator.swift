#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random number generator (xoshiro256**), whose whole state is four
/// `UInt64`s so a checkpoint can save it and a resumed run continues the same sequence.
///
/// Synapse uses one generator per purpose (initialization, data order, dropout,
/// augmentation), each derived from the run's seed and a purpose tag with `init(seed:stream:)`,
/// so changing how many numbers one purpose draws never shifts another.
///
/// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2018).
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    // The 256-bit state as four words (not an array: `next()` runs once per dropout mask
    // element, and array access there cost bounds checks and a heap buffer).
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The 256-bit state, as four words (for checkpoints and tests).
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "RandomGenerator.state must have 4 words, got \(newValue.count)")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// A generator for `seed`, in the independent stream named by `stream` (and optional
    /// further numbers such as epoch or rank), mixed through SplitMix64.
    public init(seed: UInt64, stream: UInt64 = 0, _ more: UInt64...) {
        var x = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        for m in more { x = RandomGenerator.splitMix(&x) ^ m }
        s0 = RandomGenerator.splitMix(&x)
        s1 = RandomGenerator.splitMix(&x)
        s2 = RandomGenerator.splitMix(&x)
        s3 = RandomGenerator.splitMix(&x)
        if s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0 { s0 = 1 }
    }

    /// Restores a saved generator (checkpoints store it as `{"state": [4 numbers]}`).
    ///
    /// Throws `DecodingError.dataCorrupted` for a state that is not four numbers, or is all
    /// zero (xoshiro's one fixed point: it would return 0 forever), instead of crashing or
    /// silently producing a broken stream later.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let state = try container.decode([UInt64].self, forKey: .state)
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: container.codingPath + [CodingKeys.state],
                debugDescription: "RandomGenerator state must be 4 unsigned 64-bit integers, not all zero; "
                    + "got \(state). The saved generator state is corrupt: resume from another checkpoint."))
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// Saves the generator as `{"state": [4 numbers]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    private enum CodingKeys: String, CodingKey { case state }

    /// Purpose tags for `init(seed:stream:)`.
    public enum Stream {
        /// Drawing the initial weights.
        public static let initialization: UInt64 = 1
        /// Shuffling the training data each epoch.
        public static let dataOrder: UInt64 = 2
        /// Dropout masks.
        public static let dropout: UInt64 = 3
        /// Random crops and flips of training images.
        public static let augmentation: UInt64 = 4
        /// Choosing the validation samples held out of the training set.
        public static let split: UInt64 = 5
        /// Sampling text from a language model (`synapse generate`).
        public static let sampling: UInt64 = 6
    }

    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = RandomGenerator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1
        s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = RandomGenerator.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// Standard normal sample (Box–Muller, computed in Double).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n without modulo bias.
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0)
        return Int(next(upperBound: UInt64(n)))
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                p.swapAt(i, nextInt(below: i + 1))
            }
        }
        return p
    }
}

