import Foundation
import Testing
import SynapseData

@Suite struct TextTokenizerTests {
    @Test(arguments: [
        "Hello, world! 0123456789 ~{|}",                    // ASCII
        "héllo wörld, ñandú, 日本語, Ελληνικά, ß",            // 2- and 3-byte UTF-8
        "line one\r\nline two\r\n\tend\n",                    // CRLF kept as two characters
        "👩‍👩‍👧 family, 👍🏽 thumbs, e\u{301} combining, \u{FEFF}BOM, \u{0}NUL",  // 4-byte, ZWJ, combining
    ])
    func roundTripIsExact(text: String) throws {
        let tokenizer = CharacterTokenizer(text: text)
        let ids = try tokenizer.encode(text)
        #expect(ids.count == text.unicodeScalars.count, "one id per code point, not per grapheme")
        #expect(try tokenizer.decode(ids) == text)
        #expect(Array(try tokenizer.decode(ids).unicodeScalars) == Array(text.unicodeScalars))
        #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.count })
    }

    @Test func vocabularyIsSortedByCodePoint() throws {
        // Python: sorted(set("cab\r\nÉé😀a")) == ['\n', '\r', 'a', 'b', 'c', 'É', 'é', '😀']
        let tokenizer = CharacterTokenizer(text: "cab\r\nÉé😀a")
        #expect(tokenizer.vocabulary.map(\.value) == [0x0A, 0x0D, 0x61, 0x62, 0x63, 0xC9, 0xE9, 0x1F600])
        #expect(try tokenizer.encode("\r\n") == [1, 0])
        #expect(try tokenizer.encode("😀ca") == [7, 4, 2])
        #expect(tokenizer.id(of: "é") == 6)
        #expect(tokenizer.id(of: "z") == nil)
        #expect(tokenizer.id(of: "\u{10FFFF}") == nil, "a code point above the table")
    }

    @Test func crlfIsTwoCharacters() throws {
        let text = "a\r\nb"
        #expect(text.count == 3, "Swift's Character merges \\r\\n")
        let tokenizer = CharacterTokenizer(text: text)
        #expect(tokenizer.count == 4)
        #expect(try tokenizer.encode(text).count == 4)
    }

    @Test func unknownCharacterIsNamedWithItsPosition() throws {
        let tokenizer = CharacterTokenizer(text: "abc ")
        let error = #expect(throws: DataError.self) { try tokenizer.encode("ab cz") }
        #expect(error == .unknownCharacter(source: "text", character: "'z' (U+007A)", position: 4, vocabularySize: 4))
        #expect(error?.description.contains("character 'z' (U+007A) at position 4") == true, "\(String(describing: error))")
        let corpus = TextCorpus(text: "ab\u{0}", label: "notes.txt")
        let nul = #expect(throws: DataError.self) { try tokenizer.encode(corpus.characters, source: corpus.path) }
        #expect(nul == .unknownCharacter(source: "notes.txt", character: "U+0000 (\"\\0\")", position: 2, vocabularySize: 4))
    }

    @Test func unprintableCharactersAreEscaped() {
        #expect(CharacterTokenizer.describe("\n") == "U+000A (\"\\n\")")
        #expect(CharacterTokenizer.describe("\r") == "U+000D (\"\\r\")")
        #expect(CharacterTokenizer.describe("\u{80}") == "U+0080 (unprintable)")
        #expect(CharacterTokenizer.describe("\u{200B}") == "U+200B (unprintable)")
        #expect(CharacterTokenizer.describe("\u{A0}") == "U+00A0 (unprintable)")
        #expect(CharacterTokenizer.describe(" ") == "' ' (U+0020)")
        #expect(CharacterTokenizer.describe("é") == "'é' (U+00E9)")
        #expect(CharacterTokenizer.describe("😀") == "'😀' (U+1F600)")
    }

    @Test func badIdsAreReported() throws {
        let tokenizer = CharacterTokenizer(text: "xyz")
        #expect(try tokenizer.decode([2, 0, 1]) == "zxy")
        #expect(throws: DataError.unknownTokenID(id: 3, position: 1, vocabularySize: 3)) { try tokenizer.decode([0, 3]) }
        #expect(throws: DataError.unknownTokenID(id: -1, position: 0, vocabularySize: 3)) { try tokenizer.decode([-1]) }
    }

    @Test func savesAsCodePointsAndRestores() throws {
        let tokenizer = CharacterTokenizer(text: "b\r\na😀")
        let json = String(decoding: try JSONEncoder().encode(tokenizer), as: UTF8.self)
        #expect(json.contains("\"code_points\":[10,13,97,98,128512]"), "\(json)")
        #expect(json.contains("\"kind\":\"characters\""), "\(json)")
        let restored = try JSONDecoder().decode(CharacterTokenizer.self, from: Data(json.utf8))
        #expect(restored == tokenizer)
        #expect(try restored.encode("a\r\n😀b") == tokenizer.encode("a\r\n😀b"))
    }

    @Test(arguments: [
        (#"{"kind":"characters","code_points":[97,97]}"#, "strictly ascending"),
        (#"{"kind":"characters","code_points":[98,97]}"#, "strictly ascending"),
        (#"{"kind":"characters","code_points":[55296]}"#, "not a Unicode scalar"),
        (#"{"kind":"characters","code_points":[1114112]}"#, "not a Unicode scalar"),
        (#"{"kind":"characters","code_points":[]}"#, "empty"),
        (#"{"kind":"bytepairs","code_points":[97]}"#, "is not \"characters\""),
    ])
    func damagedSavedVocabularyIsRejected(json: String, needle: String) throws {
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CharacterTokenizer.self, from: Data(json.utf8))
        }
        guard case .dataCorrupted(let context)? = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))"); return
        }
        #expect(context.debugDescription.contains(needle), "\(context.debugDescription)")
    }

    @Test func coverageCheckForResume() throws {
        let saved = CharacterTokenizer(text: "abc\n")
        try saved.requireCovers("cab\n\n".unicodeScalars, source: "corpus.txt")
        try saved.requireCovers(CharacterTokenizer(text: "ba"), source: "corpus.txt")
        let error = #expect(throws: DataError.self) {
            try saved.requireCovers("abxc\ry".unicodeScalars, source: "corpus.txt")
        }
        #expect(error == .vocabularyMismatch(source: "corpus.txt",
                                             missing: ["'x' (U+0078) first at character 2",
                                                       "U+000D (\"\\r\") first at character 4",
                                                       "'y' (U+0079) first at character 5"],
                                             missingCount: 3, vocabularySize: 4))
        let message = error?.description ?? ""
        #expect(message.contains("the corpus has 3 characters the checkpoint's vocabulary (4 characters) lacks"), "\(message)")
        let other = #expect(throws: DataError.self) {
            try saved.requireCovers(CharacterTokenizer(text: String((0..<15).map { Character(UnicodeScalar(0x41 + $0)!) })), source: "new")
        }
        guard case .vocabularyMismatch(_, let missing, let count, _)? = other else {
            Issue.record("expected vocabularyMismatch, got \(String(describing: other))"); return
        }
        #expect(count == 15 && missing.count == 10 && missing.first == "'A' (U+0041)")
        #expect(other?.description.contains("and 5 more") == true)
    }
}
