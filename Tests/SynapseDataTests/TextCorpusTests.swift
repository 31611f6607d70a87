import Foundation
import Testing
@testable import SynapseData

@Suite struct TextCorpusTests {
    @Test func fileIsReadAsCodePoints() throws {
        let dir = try makeTemporaryDirectory()
        let text = "ab\r\nçé 😀\n"
        try writeFile(dir + "/corpus.txt", Array(text.utf8))
        let corpus = try TextCorpus(contentsOf: dir + "/corpus.txt")
        #expect(corpus.path == dir + "/corpus.txt")
        #expect(corpus.files == [dir + "/corpus.txt"])
        #expect(corpus.byteCount == text.utf8.count)
        #expect(corpus.count == 9)  // a b \r \n ç é space 😀 \n
        #expect(corpus.characters == Array(text.unicodeScalars))
        #expect(corpus.text == text)
        #expect(corpus.replacementCount == 0)
    }

    @Test func directoryIsItsRegularFilesInNameOrder() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/b.txt", Array("second ".utf8))
        try writeFile(dir + "/a.txt", Array("first ".utf8))
        try writeFile(dir + "/B.txt", Array("upper ".utf8))          // "B" < "a" < "b" in bytes
        try writeFile(dir + "/é.txt", Array("last".utf8))             // 0xC3 sorts after ASCII
        try writeFile(dir + "/.hidden", Array("HIDDEN".utf8))
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: false)
        try writeFile(dir + "/sub/inner.txt", Array("INNER".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/aa-link", withDestinationPath: dir + "/a.txt")
        let corpus = try TextCorpus(contentsOf: dir)
        #expect(corpus.text == "upper first second last")
        #expect(corpus.files == ["B.txt", "a.txt", "b.txt", "é.txt"].map { dir + "/" + $0 })
        #expect(try TextCorpus(path: dir + "/").text == corpus.text, "a trailing slash changes nothing")
    }

    @Test func fewInvalidBytesAreReplacedLikePython() throws {
        let dir = try makeTemporaryDirectory()
        var bytes = Array(String(repeating: "text ", count: 40).utf8)  // 200 bytes
        bytes[10] = 0xFF                                                  // 1 invalid of 200: 0.5 %
        try writeFile(dir + "/latin.txt", bytes)
        let corpus = try TextCorpus(contentsOf: dir + "/latin.txt")
        #expect(corpus.replacementCount == 1)
        #expect(corpus.count == 200)
        #expect(corpus.characters[10] == "\u{FFFD}")
    }

    /// Expected values from Python 3: `bytes.decode("utf-8", errors="replace")`.
    @Test(arguments: [
        ([0x61, 0xE2, 0x82, 0x62], [0x61, 0xFFFD, 0x62]),                     // cut 3-byte sequence
        ([0xF0, 0x9F, 0x98, 0x78], [0xFFFD, 0x78]),                           // cut 4-byte sequence
        ([0xC0, 0xAF], [0xFFFD, 0xFFFD]),                                     // overlong
        ([0xED, 0xA0, 0x80], [0xFFFD, 0xFFFD, 0xFFFD]),                       // surrogate
        ([0xF4, 0x90, 0x80, 0x80], [0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD]),         // above U+10FFFF
        ([0xFF], [0xFFFD]),
        ([0x80, 0x80], [0xFFFD, 0xFFFD]),                                     // stray continuations
        ([0xE0, 0x80, 0x80], [0xFFFD, 0xFFFD, 0xFFFD]),
        ([0xF0, 0x80, 0x80, 0x80, 0x7A], [0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0x7A]),
        ([0xE1, 0x80, 0xE2, 0xF0, 0x91, 0x92, 0xF1, 0xBF, 0x41], [0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0x41]),
        ([0xEF, 0xBB, 0xBF, 0x61, 0xF0, 0x9F, 0x98, 0x80], [0xFEFF, 0x61, 0x1F600]),  // BOM kept, as "utf-8" does
    ] as [([UInt8], [UInt32])])
    func invalidSequencesBecomeOneReplacementEach(bytes: [UInt8], expected: [UInt32]) {
        let decoded = DecodedUTF8(bytes)
        #expect(decoded.scalars.map(\.value) == expected)
        #expect(decoded.invalidOffsets.count == expected.filter { $0 == 0xFFFD }.count)
    }

    @Test func missingPathSaysHowToFix() throws {
        let path = "/nonexistent-synapse-corpus/text.txt"
        let error = #expect(throws: DataError.self) { try TextCorpus(contentsOf: path) }
        guard case .invalidCorpus(let at, _)? = error else {
            Issue.record("expected invalidCorpus, got \(String(describing: error))"); return
        }
        #expect(at == path)
        for needle in [path, "no such file or directory", "data.path"] {
            #expect(error?.description.contains(needle) == true, "missing \"\(needle)\" in \(String(describing: error))")
        }
    }

    @Test func emptyFileAndEmptyDirectoryAreErrors() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/empty.txt", [])
        let file = #expect(throws: DataError.self) { try TextCorpus(contentsOf: dir + "/empty.txt") }
        #expect(file?.description.contains("\(dir)/empty.txt: the corpus is empty") == true, "\(String(describing: file))")
        let emptyDir = try makeTemporaryDirectory("emptyDir")
        try FileManager.default.createDirectory(atPath: emptyDir + "/sub", withIntermediateDirectories: false)
        let directory = #expect(throws: DataError.self) { try TextCorpus(contentsOf: emptyDir) }
        #expect(directory?.description.contains("\(emptyDir): the directory holds no regular files") == true,
                "\(String(describing: directory))")
    }

    @Test func binaryFileWithNulIsRejectedByName() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/a.txt", Array("fine text\n".utf8))
        try writeFile(dir + "/b.bin", [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01])  // an ELF header
        let error = #expect(throws: DataError.self) { try TextCorpus(contentsOf: dir) }
        let message = error?.description ?? ""
        for needle in ["\(dir)/b.bin: a binary file", "byte 4 is NUL"] {
            #expect(message.contains(needle), "missing \"\(needle)\" in \(message)")
        }
    }

    @Test func mostlyInvalidUTF8IsRejected() throws {
        let dir = try makeTemporaryDirectory()
        // Latin-1 "déjà vu, café": 3 invalid bytes of 14, far above 1 %.
        try writeFile(dir + "/latin1.txt", [0x64, 0xE9, 0x6A, 0xE0, 0x20, 0x76, 0x75, 0x2C, 0x20, 0x63, 0x61, 0x66, 0xE9, 0x0A])
        let error = #expect(throws: DataError.self) { try TextCorpus(contentsOf: dir + "/latin1.txt") }
        let message = error?.description ?? ""
        for needle in ["latin1.txt: not UTF-8 text: 3 of its 14 bytes", "first at byte 1", "iconv"] {
            #expect(message.contains(needle), "missing \"\(needle)\" in \(message)")
        }
    }

    @Test(.enabled(if: getuid() != 0, "root reads files whatever their permissions"))
    func unreadableFileSaysToCheckPermissions() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/secret.txt"
        try writeFile(path, Array("text".utf8))
        chmod(path, 0)
        let error = #expect(throws: DataError.self) { try TextCorpus(contentsOf: path) }
        let message = error?.description ?? ""
        for needle in [path, "Permission denied", "chmod"] {
            #expect(message.contains(needle), "missing \"\(needle)\" in \(message)")
        }
    }

    @Test func missingFortunesSaysWhichPackage() throws {
        let dir = "/nonexistent-synapse-fortunes"
        let error = #expect(throws: DataError.self) { try TextCorpus.fortunes(directory: dir) }
        let message = error?.description ?? ""
        for needle in ["install the Debian package 'fortunes' (apt-get install fortunes) or set data.path", dir] {
            #expect(message.lowercased().contains(needle.lowercased()), "missing \"\(needle)\" in \(message)")
        }
        // A directory holding only fortune's index files counts as missing too.
        let indexOnly = try makeTemporaryDirectory()
        try writeFile(indexOnly + "/art.dat", [0, 0, 0, 2])
        #expect(throws: DataError.self) { try TextCorpus.fortunes(directory: indexOnly) }
    }

    @Test func fortunesRuleSkipsIndexFilesAndLinks() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/zippy", Array("Yow!\n%\n".utf8))
        try writeFile(dir + "/art", Array("Art.\n%\n".utf8))
        try writeFile(dir + "/art.dat", [0, 0, 0, 2, 0, 0, 0, 1])
        try FileManager.default.createSymbolicLink(atPath: dir + "/art.u8", withDestinationPath: dir + "/art")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/art")
        let corpus = try TextCorpus.fortunes(directory: dir)
        #expect(corpus.files == [dir + "/art", dir + "/zippy"])
        #expect(corpus.text == "Art.\n%\nYow!\n%\n")
    }
}
