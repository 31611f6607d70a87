/// An error caused by the user's input (a config value, a data file, an argument, a
/// checkpoint path) rather than by a bug or a system failure.
///
/// Its `description` says what is wrong, where (file, key, offset, rank) and how to fix it.
/// The command-line tool prints it as-is and exits with status 2; every layer's input errors
/// conform (data files, configs, checkpoints), so the tool does not need to know them all.
///
/// A type that carries both kinds (a checkpoint error is bad input when a checkpoint is
/// damaged, a run-time failure when the disk fills while saving one) says which one an
/// instance is with `isBadInput`; the tool then exits with 1 for the failures.
public protocol UserFacingError: Error, CustomStringConvertible {
    /// Whether this is the user's input at fault (exit status 2); false for a failure of the
    /// system while doing what was asked (exit status 1). True unless a type says otherwise.
    var isBadInput: Bool { get }
}

extension UserFacingError {
    /// Bad input (exit status 2), unless a type says otherwise.
    public var isBadInput: Bool { true }
}
