import Foundation
import Testing
@testable import SynapseData
import SynapseCore

/// Byte-level byte-pair encoding: hand-computed merges, the incremental learner against a
/// naive one that recounts every pair after each merge, exact round trips on any bytes and
/// any UTF-8, determinism, and the saved JSON.
@Suite struct BytePairTokenizerTests {
    /// The classic example (Wikipedia, "Byte pair encoding"), worked by hand. Tokens: a = 97,
    /// b = 98, c = 99, d = 100.
    /// - "aaabdaaabac": pairs aa ×4 (overlaps count), ab ×2, bd, da, ba, ac ×1 → merge (97, 97) → 256.
    /// - [256 a b d 256 a b a c]: (256, 97) ×2 and (97, 98) ×2 tie; the smaller pair wins → (97, 98) → 257.
    /// - [256 257 d 256 257 a c]: (256, 257) ×2 → 258.
    /// - [258 d 258 a c]: every pair occurs once: learning stops at 259 tokens, not 300.
    @Test func handComputedMerges() throws {
        let tokenizer = try BytePairTokenizer(learningFrom: "aaabdaaabac", vocabularySize: 300)
        #expect(tokenizer.merges == [TokenPair(97, 97), TokenPair(97, 98), TokenPair(256, 257)])
        #expect(tokenizer.count == 259)
        #expect(tokenizer.encode("aaabdaaabac") == [258, 100, 258, 97, 99])
        #expect(Array(try tokenizer.bytes(of: 258)) == Array("aaab".utf8))
        #expect(try tokenizer.decode([258, 100, 258, 97, 99]) == "aaabdaaabac")
        // Rank order, not left to right: "aab" is (a a) b → 256 98, then no merge joins them.
        #expect(tokenizer.encode("aab") == [256, 98])
        #expect(tokenizer.encode("ab") == [257])
        #expect(tokenizer.encode("aaa") == [256, 97], "left to right: (a a) a")
        // A vocabulary of 258 stops after two merges.
        #expect(try BytePairTokenizer(learningFrom: "aaabdaaabac", vocabularySize: 258).merges.count == 2)
    }

    @Test func mergesNeverCrossChunks() throws {
        // " a" ×3 is the only repeated pair inside chunks; "a " spans a chunk boundary and is never counted.
        let tokenizer = try BytePairTokenizer(learningFrom: "a a a a.", vocabularySize: 300)
        #expect(tokenizer.merges == [TokenPair(32, 97)])
        #expect(tokenizer.encode("a a a a.") == [97, 256, 256, 256, 46])
    }

    @Test func incrementalLearningEqualsTheNaiveLearner() throws {
        let texts = [
            Self.sampleText,
            String(repeating: "the cat sat on the mat; the bat ate the rat. ", count: 40),
            "αβγ αβγ αβ δ 日本語 日本 語 😀😀 😀 e\u{301}e\u{301} ééé 1234 12 34 ---- -- \n\n\n  \t\t ",
        ]
        for text in texts {
            let bytes = Array(text.utf8)
            let fast = try BytePairTokenizer(learningFrom: bytes, vocabularySize: 400)
            let naive = NaiveBytePairs.learn(bytes, merges: 400 - 256)
            #expect(fast.merges == naive, "\(text.prefix(40))…")
            // The training text encodes exactly as learning split it.
            #expect(fast.encode(bytes: bytes) == NaiveBytePairs.apply(naive, to: bytes))
        }
    }

    @Test(arguments: [
        "Hello, world! 0123456789 ~{|}",
        "héllo wörld, ñandú, 日本語, Ελληνικά, ß, Привет мир, مرحبا, שלום",
        "line one\r\nline two\r\n\tend\n  indented   words\u{3000}ideographic space",
        "👩‍👩‍👧 family, 👍🏽 thumbs, e\u{301} combining, a\u{308}\u{323} two marks, \u{FEFF}BOM, \u{0}NUL, \u{10FFFF}",
        String(repeating: "長い文章にはスペースがありません", count: 20),   // longer than a chunk: cut at characters
    ])
    func roundTripIsExactOnUTF8(text: String) throws {
        let tokenizer = try BytePairTokenizer(learningFrom: Self.sampleText + text, vocabularySize: 600)
        for probe in [text, Self.sampleText, text + Self.sampleText.prefix(100)] {
            let ids = tokenizer.encode(probe)
            #expect(try tokenizer.decode(ids) == probe)
            #expect(Array(try tokenizer.decode(ids).unicodeScalars) == Array(probe.unicodeScalars))
            #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.count })
        }
    }

    @Test func roundTripIsExactOnRandomBytes() throws {
        var seeded = RandomGenerator(seed: 7)
        let tokenizer = try BytePairTokenizer(learningFrom: Self.sampleText, vocabularySize: 500)
        for trial in 0..<200 {
            let n = Int(seeded.next() % 300)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: seeded.next()) }
            #expect(try tokenizer.bytes(of: tokenizer.encode(bytes: bytes)) == bytes, "trial \(trial)")
        }
        // And a tokenizer learned from random bytes (merges of arbitrary, non-UTF-8 bytes).
        let noise = (0..<20_000).map { _ in UInt8.random(in: 0...7, using: &seeded) &* 37 }
        let learned = try BytePairTokenizer(learningFrom: noise, vocabularySize: 400)
        #expect(learned.count == 400)
        #expect(try learned.bytes(of: learned.encode(bytes: noise)) == noise)
    }

    @Test func learningIsDeterministic() throws {
        // Dictionaries iterate in a per-process random order; the merges must not depend on it.
        let a = try BytePairTokenizer(learningFrom: Self.sampleText, vocabularySize: 450)
        for _ in 0..<3 {
            #expect(try BytePairTokenizer(learningFrom: Self.sampleText, vocabularySize: 450) == a)
        }
        #expect(a.count > 300)
    }

    @Test func jsonRoundTrip() throws {
        let tokenizer = try BytePairTokenizer(learningFrom: "aaabdaaabac", vocabularySize: 300)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(tokenizer), as: UTF8.self)
        #expect(json == #"{"kind":"bpe","merges":[[97,97],[97,98],[256,257]]}"#)
        let restored = try JSONDecoder().decode(BytePairTokenizer.self, from: Data(json.utf8))
        #expect(restored == tokenizer)
        #expect(restored.encode("aaabdaaabac") == [258, 100, 258, 97, 99])
        // Through the enum that checkpoints use.
        let text = try JSONDecoder().decode(TextTokenizer.self, from: Data(json.utf8))
        #expect(text == .bytePairs(tokenizer))
        #expect(String(decoding: try encoder.encode(text), as: UTF8.self) == json)
    }

    @Test(arguments: [
        (#"{"kind":"characters","merges":[]}"#, "is not \"bpe\""),
        (#"{"kind":"bpe","merges":[[97]]}"#, "merge 0"),
        (#"{"kind":"bpe","merges":[[97,256]]}"#, "earlier tokens (each in 0..<256)"),
        (#"{"kind":"bpe","merges":[[97,98],[-1,2]]}"#, "merge 1"),
        (#"{"kind":"bpe","merges":[[97,98],[97,98]]}"#, "merged twice"),
    ])
    func damagedJSONIsRejected(json: String, fragment: String) {
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(BytePairTokenizer.self, from: Data(json.utf8)) }
        guard case .dataCorrupted(let context)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(context.debugDescription.contains(fragment), "\(context.debugDescription)")
    }

    @Test func vocabularySizeIsChecked() {
        for size in [0, 256, 65_537] {
            #expect(throws: DataError.self) { try BytePairTokenizer(learningFrom: "abc", vocabularySize: size) }
        }
    }

    @Test func unknownTokenIDIsNamed() throws {
        let tokenizer = try BytePairTokenizer(learningFrom: "aaabdaaabac", vocabularySize: 300)
        let error = #expect(throws: DataError.self) { try tokenizer.decode([97, 259]) }
        #expect(error == .unknownTokenID(id: 259, position: 1, vocabularySize: 259))
    }

    /// A few kilobytes of varied English (with punctuation, digits and line breaks).
    static let sampleText = """
        It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of \
        foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, \
        it was the season of Darkness, it was the spring of hope, it was the winter of despair.
        In 1859, 2 cities; 3 ships & 44 horses -- "quoted" (parenthesized) [bracketed] {braced}!!!
          Indented line with  two  spaces.
        \tTabbed line.

        The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog again.
        """
}

/// The textbook learner, as an oracle: after each merge, split the text into chunks again and
/// recount every pair from scratch (O(M · N)); most frequent pair first, the smallest on ties.
enum NaiveBytePairs {
    static func learn(_ bytes: [UInt8], merges maximum: Int) -> [TokenPair] {
        var chunks = TextChunks.ranges(of: bytes).map { bytes[$0].map { Int32($0) } }
        var merges: [TokenPair] = []
        while merges.count < maximum {
            var counts: [TokenPair: Int] = [:]
            for chunk in chunks where chunk.count > 1 {
                for i in 0..<(chunk.count - 1) { counts[TokenPair(chunk[i], chunk[i + 1]), default: 0] += 1 }
            }
            guard let best = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
                  best.value >= 2 else { break }
            let id = Int32(256 + merges.count)
            chunks = chunks.map { BytePairLearner.merged($0, best.key, into: id) }
            merges.append(best.key)
        }
        return merges
    }

    /// The merges applied one after the other, in learned order, to every chunk.
    static func apply(_ merges: [TokenPair], to bytes: [UInt8]) -> [Int32] {
        TextChunks.ranges(of: bytes).flatMap { range -> [Int32] in
            var tokens = bytes[range].map { Int32($0) }
            for (k, pair) in merges.enumerated() { tokens = BytePairLearner.merged(tokens, pair, into: Int32(256 + k)) }
            return tokens
        }
    }
}
