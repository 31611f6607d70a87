import Foundation
import Testing
@testable import SynapseData
import SynapseCore

/// What byte-pair tokens rest on: the chunks merges stay within, the characters a token
/// completes (bits per character), text streamed out of tokens that end inside a character,
/// and the tokenizer enum that reads both kinds of tokenizer.json.
@Suite struct BytePairSupportTests {
    static func chunks(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return TextChunks.ranges(of: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    @Test func chunksFollowGPT2sRule() {
        #expect(Self.chunks("The dog's 42 cats!!") == ["The", " dog", "'", "s", " 42", " cats", "!!"])
        #expect(Self.chunks("a  b\n c\n\nd  ") == ["a", " ", " b", "\n", " c", "\n\n", "d", "  "])
        #expect(Self.chunks("x\t y") == ["x", "\t", " y"])
        #expect(Self.chunks("café naïve 日本語 😀!") == ["café", " naïve", " 日本語", " 😀", "!"])
        #expect(Self.chunks("e\u{301}t\u{301}") == ["e\u{301}t\u{301}"], "combining marks stay in the word")
        #expect(Self.chunks("") == [])
        #expect(Self.chunks(" ") == [" "])
    }

    @Test func longRunsAreCutAtCharacterBoundaries() {
        let ascii = String(repeating: "a", count: 150)
        #expect(Self.chunks(ascii).map(\.utf8.count) == [64, 64, 22])
        let kana = String(repeating: "あ", count: 50)   // 3 bytes each: 150 bytes
        let pieces = Self.chunks(kana)
        #expect(pieces.joined() == kana)
        #expect(pieces.allSatisfy { $0.unicodeScalars.allSatisfy { $0 == "あ" } }, "no character is cut")
        #expect(pieces.map(\.utf8.count) == [66, 66, 18])
    }

    @Test func chunksCoverAnyBytes() {
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<100 {
            let bytes = (0..<Int.random(in: 0..<400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let ranges = TextChunks.ranges(of: bytes)
            #expect(ranges.allSatisfy { !$0.isEmpty })
            #expect(ranges.flatMap { Array(bytes[$0]) } == bytes)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        }
    }

    @Test func characterCountsAreThoseTheTokensComplete() throws {
        // "é" is C3 A9; with a token that ends after C3, the character belongs to the next token.
        let tokenizer = try BytePairTokenizer(learningFrom: "aé aé aé", vocabularySize: 300)
        let bytes: [[UInt8]] = [[0x61, 0xC3], [0xA9], [0x20], [0x61], [0xC3, 0xA9, 0x21]]
        let counts = TokenCharacterCounts(tokens: Array(0..<Int32(bytes.count))) { bytes[Int($0)][...] }
        #expect((0..<5).map { counts.characters(in: $0..<($0 + 1)) } == [1, 1, 1, 1, 2])
        #expect(counts.total == 6, "a é ␠ a é ! is six characters")
        // A real stream: every token count sums to the number of scalars, split anywhere.
        for text in ["aé aé aé", "日本語 😀 e\u{301}!", BytePairTokenizerTests.sampleText] {
            let ids = tokenizer.encode(text)
            let counts = TextTokenizer.bytePairs(tokenizer).characterCounts(of: ids)
            #expect(counts.total == text.unicodeScalars.count)
            for cut in 0...ids.count {
                #expect(counts.characters(in: 0..<cut) + counts.characters(in: cut..<ids.count) == counts.total)
            }
        }
        let characters = TextTokenizer.characters(CharacterTokenizer(text: "abc"))
        #expect(characters.characterCounts(of: [0, 1, 2, 2]).characters(in: 1..<4) == 3)
    }

    @Test func streamedTextEqualsDecodingAllBytesAtOnce() {
        var rng = RandomGenerator(seed: 11)
        let samples: [[UInt8]] = [
            Array("héllo 日本語 😀👍🏽 e\u{301}".utf8),
            [0xE6, 0x97, 0xA5, 0xC3],                         // ends inside a character
            [0xF0, 0x9F, 0x98, 0x80, 0x80, 0xFF, 0xC3, 0x41, 0xE0, 0x80, 0xED, 0xA0, 0x80],   // invalid bytes
        ] + (0..<200).map { _ in (0..<Int.random(in: 0..<40, using: &rng)).map { _ in
            [0x41, 0x80, 0xBF, 0xC3, 0xA9, 0xE6, 0xF0, 0x9F, 0xFF, 0x20].randomElement(using: &rng)! } }
        for bytes in samples {
            var decoder = UTF8StreamDecoder()
            var text = "", start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...3, using: &rng))
                text += decoder.append(bytes[start..<end])
                start = end
            }
            text += decoder.finish()
            #expect(text == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
        // A character split over two pieces comes out whole with the second.
        var decoder = UTF8StreamDecoder()
        #expect(decoder.append([0x61, 0xE6, 0x97]) == "a")
        #expect(decoder.append([0xA5]) == "日")
        #expect(decoder.finish() == "")
    }

    @Test func oldCharacterJSONStillLoads() throws {
        // tokenizer.json as checkpoints wrote it before byte pairs existed.
        let json = #"{"code_points":[10,97,98],"kind":"characters"}"#
        let tokenizer = try JSONDecoder().decode(TextTokenizer.self, from: Data(json.utf8))
        #expect(tokenizer == .characters(CharacterTokenizer(text: "ab\n")))
        #expect(tokenizer.kind == "characters" && tokenizer.count == 3)
        #expect(try tokenizer.encode("ba\n") == [2, 1, 0])
        #expect(try tokenizer.bytes(of: 1) == [0x61])
        #expect(tokenizer.defaultPrompt == "\n")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(tokenizer), as: UTF8.self) == json)
    }

    @Test func unknownTokenizerKindIsRejected() {
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TextTokenizer.self, from: Data(#"{"kind":"wordpiece"}"#.utf8))
        }
        #expect(String(describing: error).contains("neither"), "\(String(describing: error))")
    }
}
