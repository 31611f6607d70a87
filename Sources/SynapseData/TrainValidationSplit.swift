import SynapseCore

/// A seeded random division of a dataset's indices into a training part and a validation
/// part (like `torch.utils.data.random_split`), the same for every rank and every run with
/// the same seed.
public struct TrainValidationSplit: Equatable, Sendable {
    /// Indices used for training, ascending.
    public let train: [Int]
    /// Indices held out for validation, ascending.
    public let validation: [Int]

    /// Holds out `validationCount` of `count` samples, chosen by a permutation from
    /// `RandomGenerator(seed: seed, stream: .split)`.
    /// - Throws: `DataError.invalidSetting` unless `0 <= validationCount < count`.
    public init(count: Int, validationCount: Int, seed: UInt64) throws {
        guard count > 0 else {
            throw DataError.invalidSetting("cannot split an empty dataset into training and validation parts")
        }
        guard validationCount >= 0, validationCount < count else {
            throw DataError.invalidSetting("validation size \(validationCount) must be at least 0 and less "
                + "than the \(count) samples available, so that some remain for training")
        }
        var rng = RandomGenerator(seed: seed, stream: RandomGenerator.Stream.split)
        let permutation = rng.permutation(count)
        // Ascending order: the sampler shuffles each epoch anyway, and sorted lists are easy
        // to compare and to read in a checkpoint.
        validation = permutation[..<validationCount].sorted()
        train = permutation[validationCount...].sorted()
    }

    /// Holds out `round(validationFraction × count)` samples.
    /// - Throws: `DataError.invalidSetting` unless `0 <= validationFraction < 1` and at least
    ///   one sample remains for training.
    public init(count: Int, validationFraction: Double, seed: UInt64) throws {
        guard validationFraction >= 0, validationFraction < 1 else {
            throw DataError.invalidSetting("validation fraction \(validationFraction) must be in [0, 1) "
                + "(for example 0.1 holds out 10 % of the training data)")
        }
        let validationCount = Int((Double(count) * validationFraction).rounded())
        try self.init(count: count, validationCount: validationCount, seed: seed)
    }
}
