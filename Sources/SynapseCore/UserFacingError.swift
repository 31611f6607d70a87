/// An error caused by the user's input (a config value, a data file, an argument, a
/// checkpoint path) rather than by a bug or a system failure.
///
/// Its `description` says what is wrong, where (file, key, offset, rank) and how to fix it.
/// The command-line tool prints it as-is and exits with status 2; every layer's input errors
/// conform (data files, configs, checkpoints), so the tool does not need to know them all.
public protocol UserFacingError: Error, CustomStringConvertible {}
