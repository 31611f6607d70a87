/// A checkpoint could not be saved, found, or trusted.
///
/// `description` is a complete message for the user: what is wrong, which path, and what to do,
/// e.g. `checkpoint runs/x/checkpoints/step-00000100 is corrupt: model.safetensors checksum
/// mismatch (expected 1c291ca3, got 0badf00d); it was not loaded. Valid checkpoints you can
/// pass to --resume: runs/x/checkpoints/step-00000090`.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of problem, for callers that react differently (e.g. `--resume auto`).
    public enum Kind: Sendable, Equatable {
        /// Nothing usable at the given path.
        case notFound
        /// A checkpoint directory without `state.json`: a save was interrupted (torn write).
        case incomplete
        /// A listed file is missing, or its size or checksum does not match `state.json`.
        case corrupt
        /// `state.json` is not valid JSON of the expected form.
        case invalidState
        /// `state.json` has a format version this build cannot read.
        case unsupportedFormat
        /// `latest` is missing or points to a checkpoint that does not exist.
        case brokenLatest
        /// Saving failed; nothing new became visible.
        case saveFailed
    }

    /// The kind of problem.
    public let kind: Kind
    /// The full message.
    public let message: String

    /// An error of `kind` with the complete user-facing `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The full message.
    public var description: String { message }

    /// A checkpoint that cannot be found or trusted is the user's input (exit status 2); a
    /// save that failed (disk full, I/O error, read-only file system) is a run-time failure (1).
    public var isBadInput: Bool { kind != .saveFailed }
}
