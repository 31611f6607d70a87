#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text for character-level language models: one UTF-8 file, every file of a directory, or
/// (by default) Debian's `fortunes` collection, held as Unicode scalars.
///
/// The default corpus is defined exactly as the PyTorch peer (`peer/bench_torch_seq.py`,
/// `load_corpus`) defines it: every regular file directly in `/usr/share/games/fortunes` whose
/// name does not end in `.dat` or `.u8` (symbolic links skipped), sorted by name, read as
/// bytes, concatenated, then decoded as UTF-8 with invalid bytes replaced by U+FFFD. With
/// fortunes 1:1.99.1-7.3 that is 43 files, 2,576,674 bytes, 2,576,627 characters and 113
/// distinct characters.
///
/// A character is a Unicode scalar (a code point), as in Python's `str`, never a Swift
/// `Character`: grapheme clusters would merge "\r\n" into one symbol and shift every offset.
///
/// Binary files are rejected, decided per file: a file is binary if it contains a NUL byte
/// (which UTF-8 text never holds, and almost every binary format does), or if more than
/// `maximumInvalidFraction` (1 %) of its bytes start an invalid UTF-8 sequence (a Latin-1
/// file, an image without zero bytes). Fewer invalid bytes are replaced by U+FFFD as Python
/// does, and counted in `replacementCount` so a caller can warn.
public struct TextCorpus: Sendable {
    /// Where Debian's `fortunes` package installs its text files.
    public static let fortunesDirectory = "/usr/share/games/fortunes"

    /// The largest share of a file's bytes that may start invalid UTF-8 sequences before the
    /// file counts as binary (or as text in another encoding) and is rejected.
    public static let maximumInvalidFraction = 0.01

    /// What the corpus was read from: the file or directory path (or a label for text given
    /// in memory), as error messages name it.
    public let path: String
    /// The files read, in the order they were concatenated (empty for text in memory).
    public let files: [String]
    /// Number of bytes read, before decoding.
    public let byteCount: Int
    /// The text, one element per code point. - Shape: [N].
    public let characters: [Unicode.Scalar]
    /// How many invalid UTF-8 sequences became U+FFFD (0 for well-formed text).
    public let replacementCount: Int

    /// Number of characters N.
    public var count: Int { characters.count }

    /// The text as a `String` (builds one; `characters` is the form to index).
    public var text: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: characters)
        return String(view)
    }

    /// The corpus `data.path` names: a file or a directory, or `nil` for the fortunes corpus.
    /// - Throws: see `init(contentsOf:)` and `fortunes(directory:)`.
    public init(path: String?) throws {
        if let path {
            try self.init(contentsOf: path)
        } else {
            self = try TextCorpus.fortunes()
        }
    }

    /// Reads a UTF-8 text file, or every regular file directly in a directory (sorted by name,
    /// concatenated; subdirectories, symbolic links and hidden files skipped).
    /// - Throws: `DataError.invalidCorpus` naming the path: missing, unreadable (permissions),
    ///   a directory without files, a binary file, or an empty corpus.
    public init(contentsOf path: String) throws {
        switch try CorpusFiles.kind(of: path) {
        case .file:
            try self.init(reading: [path], path: path)
        case .directory:
            let files = try CorpusFiles.regularFiles(in: path)
            guard !files.isEmpty else {
                throw DataError.invalidCorpus(path: path, reason: "the directory holds no regular files "
                    + "(subdirectories, symbolic links and hidden files are skipped); put text files in it, or "
                    + CorpusFiles.pathHint)
            }
            try self.init(reading: files, path: path)
        }
    }

    /// Debian's `fortunes` collection in `directory`: its regular files not ending in `.dat`
    /// (the index files of `fortune`) or `.u8`, as the peer reads them.
    /// - Throws: `DataError.datasetNotFound` telling how to install the package when the
    ///   directory is missing or holds no such files; `.invalidCorpus` if a file is unreadable.
    public static func fortunes(directory: String = fortunesDirectory) throws -> TextCorpus {
        var files: [String] = []
        if access(directory, F_OK) == 0 {
            files = try CorpusFiles.regularFiles(in: directory) { !$0.hasSuffix(".dat") && !$0.hasSuffix(".u8") }
        }
        guard !files.isEmpty else {
            throw DataError.datasetNotFound(
                dataset: "Text corpus", missingFile: "the fortunes files", triedPaths: [directory],
                hint: "Install the Debian package 'fortunes' (apt-get install fortunes) or set data.path "
                    + "to a UTF-8 text file or a directory of text files.")
        }
        return try TextCorpus(reading: files, path: directory)
    }

    /// A corpus from text already in memory; `label` names it in messages.
    public init(text: String, label: String = "text") {
        path = label
        files = []
        byteCount = text.utf8.count
        characters = Array(text.unicodeScalars)
        replacementCount = 0
    }

    /// Reads, checks, concatenates and decodes `files`.
    private init(reading files: [String], path: String) throws {
        var bytes: [UInt8] = []
        var ends: [Int] = []  // byte offset just past each file in `bytes`
        for file in files {
            let content = try CorpusFiles.read(file)
            if let nul = content.firstIndex(of: 0) {
                throw DataError.invalidCorpus(path: file, reason: "a binary file, not text: byte \(nul) is NUL "
                    + "(0x00), which UTF-8 text never contains; remove it from the corpus, or "
                    + CorpusFiles.pathHint)
            }
            bytes += content
            ends.append(bytes.count)
        }
        // Decode the concatenation, not each file, exactly as the peer does.
        let decoded = DecodedUTF8(bytes)
        try TextCorpus.checkInvalidShare(decoded.invalidOffsets, files: files, ends: ends)
        guard !decoded.scalars.isEmpty else {
            throw DataError.invalidCorpus(path: path, reason: "the corpus is empty (\(files.count) "
                + "file\(files.count == 1 ? "" : "s"), 0 bytes); put text in it, or " + CorpusFiles.pathHint)
        }
        self.path = path
        self.files = files
        self.byteCount = bytes.count
        self.characters = decoded.scalars
        self.replacementCount = decoded.invalidOffsets.count
    }

    /// Throws for the first file in which invalid UTF-8 sequences start at more than
    /// `maximumInvalidFraction` of its bytes.
    private static func checkInvalidShare(_ offsets: [Int], files: [String], ends: [Int]) throws {
        var next = 0  // first offset not yet assigned to a file
        var start = 0
        for (file, end) in zip(files, ends) {
            var count = 0
            let first = next
            while next < offsets.count && offsets[next] < end { count += 1; next += 1 }
            let size = end - start
            if count > 0 && Double(count) > maximumInvalidFraction * Double(size) {
                throw DataError.invalidCorpus(path: file, reason: "not UTF-8 text: \(count) of its \(size) bytes "
                    + "start invalid UTF-8 sequences (the first at byte \(offsets[first] - start)), more than "
                    + "\(Int(maximumInvalidFraction * 100)) %; if it is text in another encoding, convert it "
                    + "(iconv -f LATIN1 -t UTF-8 FILE > FILE.utf8), otherwise remove it from the corpus")
            }
            start = end
        }
    }
}
