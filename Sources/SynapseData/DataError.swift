#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What went wrong while reading or preparing data. Every message says what is wrong, where
/// (path, byte offset, value) and, where there is one, how to fix it.
///
/// These are user errors (a missing or damaged file, a bad setting), so they are thrown and
/// end the program with a readable message, never a crash.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, an I/O error).
    case unreadableFile(path: String, reason: String)
    /// A gzip file whose compressed data is damaged or cut short.
    case corruptGzip(path: String, reason: String)
    /// An IDX file whose header is malformed (magic number, dimension count).
    case invalidIDXHeader(path: String, reason: String)
    /// An IDX file whose element type is not unsigned byte (`0x08`).
    case unsupportedIDXDataType(path: String, found: UInt8)
    /// An IDX file whose data is shorter or longer than its dimensions say.
    case idxSizeMismatch(path: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A dataset's files are not where they were looked for.
    case datasetNotFound(dataset: String, missingFile: String, triedPaths: [String], hint: String)
    /// The files of a dataset were read but do not fit together (counts, shapes, labels).
    case inconsistentDataset(path: String, reason: String)
    /// A setting (split size, batch size, ...) that cannot be used.
    case invalidSetting(String)
    /// A text corpus (file or directory) that cannot be used: missing, unreadable, empty,
    /// binary, or too short for the context; `reason` says what and how to fix it.
    case invalidCorpus(path: String, reason: String)
    /// Text holding a character outside a tokenizer's vocabulary; `character` is described
    /// for reading (`'é' (U+00E9)`, `U+0000 (NUL)`), `position` counts characters from 0.
    case unknownCharacter(source: String, character: String, position: Int, vocabularySize: Int)
    /// A token id outside `0..<vocabularySize`, at `position` in the ids being decoded.
    case unknownTokenID(id: Int, position: Int, vocabularySize: Int)
    /// A corpus with characters a saved vocabulary lacks (resuming on a different text):
    /// `missing` describes the first few of the `missingCount` characters.
    case vocabularyMismatch(source: String, missing: [String], missingCount: Int, vocabularySize: Int)

    /// The full, human-readable message.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .corruptGzip(let path, let reason):
            return "\(path): the gzip file is corrupt or truncated (\(reason)); "
                + "download or reinstall it (a complete file passes `gzip -t`)"
        case .invalidIDXHeader(let path, let reason):
            return "\(path): not a valid IDX file: \(reason); " + damagedFileHint
        case .unsupportedIDXDataType(let path, let found):
            return "\(path): IDX element type 0x\(hex(found)) (\(IDXArray.typeName(found))) is not "
                + "supported; only 0x08 (unsigned byte, as in MNIST and Fashion-MNIST) is"
        case .idxSizeMismatch(let path, let shape, let expected, let actual):
            let what = actual < expected ? "truncated" : "has trailing bytes"
            return "\(path): IDX data \(what): dimensions \(shape) need \(expected) data bytes "
                + "after the header, the file has \(actual); " + damagedFileHint
        case .datasetNotFound(let dataset, let missing, let tried, let hint):
            return "\(dataset): cannot find \(missing); tried "
                + tried.joined(separator: ", ") + ". " + hint
        case .inconsistentDataset(let path, let reason):
            return "\(path): \(reason)"
        case .invalidSetting(let message):
            return message
        case .invalidCorpus(let path, let reason):
            return "\(path): \(reason)"
        case .unknownCharacter(let source, let character, let position, let V):
            return "\(source): character \(character) at position \(position) is not in the tokenizer's "
                + "vocabulary of \(V) characters; encode only text the vocabulary was built from, or "
                + "build a new tokenizer from this text"
        case .unknownTokenID(let id, let position, let V):
            return "token id \(id) at position \(position) is outside the vocabulary 0..<\(V); the ids "
                + "come from a model or tokenizer with another vocabulary"
        case .vocabularyMismatch(let source, let missing, let count, let V):
            let more = count > missing.count ? ", and \(count - missing.count) more" : ""
            return "\(source): the corpus has \(count) character\(count == 1 ? "" : "s") the checkpoint's "
                + "vocabulary (\(V) characters) lacks: " + missing.joined(separator: ", ") + more
                + "; resume with the corpus the checkpoint was trained on, or start a new run "
                + "(a new vocabulary) instead of resuming"
        }
    }
}

extension DataError {
    /// The error for a data path the system refused with `errno` `code`: a permission problem
    /// says so, with the path and how to check it, rather than "cannot find" (the file may well
    /// be there); anything else names the system's reason.
    public static func unreadable(path: String, code: Int32) -> DataError {
        if code == EACCES || code == EPERM {
            return .unreadableFile(path: path, reason: "permission denied: this user may not read it or may not enter a "
                                   + "directory above it; check with `ls -ld` on the path and its directories, and fix "
                                   + "the permissions (chmod) or run as a user who may read it")
        }
        return .unreadableFile(path: path, reason: String(cString: strerror(code)))
    }
}

/// How to fix a damaged data file: the same advice for every kind of damage.
let damagedFileHint = "the file is damaged or incomplete: download it again, or reinstall the package that provides it (e.g. apt-get install --reinstall dataset-fashion-mnist)"

/// Two lowercase hexadecimal digits.
func hex(_ byte: UInt8) -> String {
    let s = String(byte, radix: 16)
    return s.count == 1 ? "0" + s : s
}
