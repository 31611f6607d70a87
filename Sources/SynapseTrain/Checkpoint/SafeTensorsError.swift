/// A safetensors file could not be read, or does not match what the caller expected.
///
/// `description` always starts with the file's path and says what is wrong and where (byte
/// offsets are positions in the file), e.g.
/// `runs/a/model.safetensors: tensor 'fc1.weight' has dtype F16; Synapse reads only F32 ...`.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Which check failed; tests and callers can branch on it without parsing text.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read.
        case unreadable
        /// Fewer than 8 bytes, or the header length is zero, too large, or beyond the file.
        case invalidHeaderLength
        /// The header is not a JSON object of the expected form.
        case invalidHeader
        /// A tensor's dtype is not F32.
        case unsupportedDType
        /// Data offsets leave a gap, overlap, or point outside the data section.
        case invalidOffsets
        /// A tensor's shape does not match its byte length.
        case shapeMismatch
        /// Bytes after the last tensor's data.
        case trailingBytes
        /// A tensor the caller asked for is not in the file.
        case missingTensor
        /// The file has tensors the caller's model does not.
        case unexpectedTensors
        /// A tensor holds NaN or ±∞ values (weights of a diverged run).
        case nonFinite
    }

    /// Which check failed.
    public let kind: Kind
    /// The file (or a label for in-memory data).
    public let path: String
    /// What is wrong, without the path.
    public let message: String

    /// An error of `kind` for the file at `path`.
    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// "PATH: MESSAGE".
    public var description: String { "\(path): \(message)" }
}
