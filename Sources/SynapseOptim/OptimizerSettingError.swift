/// An optimizer (or regularization) setting outside its valid range, e.g. a negative
/// learning rate or `betas.1 = 1`. Thrown by the initializers, which receive values straight
/// from a user's config.
public struct OptimizerSettingError: Error, CustomStringConvertible, Equatable {
    /// Which optimizer (`Adam`, `SGD`, `Regularization`, ...).
    public let optimizer: String
    /// The setting's name as in the initializer (`learningRate`, `betas.0`, ...).
    public let setting: String
    /// The rejected value.
    public let value: Float
    /// What the value must satisfy, in words (`must be ≥ 0`).
    public let requirement: String

    /// What is wrong and how to fix it.
    public var description: String {
        "\(optimizer): \(setting) = \(value) is invalid; it \(requirement). Change the optimizer's \(setting) setting."
    }
}

/// Throws unless `value ≥ 0` (NaN fails too).
func requireNonNegative(_ value: Float, _ setting: String, of optimizer: String) throws {
    guard value >= 0 else {
        throw OptimizerSettingError(optimizer: optimizer, setting: setting, value: value, requirement: "must be ≥ 0")
    }
}

/// Throws unless `0 ≤ value < 1` (a moving-average coefficient).
func requireUnitInterval(_ value: Float, _ setting: String, of optimizer: String) throws {
    guard value >= 0, value < 1 else {
        throw OptimizerSettingError(optimizer: optimizer, setting: setting, value: value,
                                    requirement: "must be in [0, 1)")
    }
}
