import Foundation
import Testing
import SynapseData

/// Byte pairs learned on the real corpus: the training part of fortunes (2.3 MB) at the
/// default vocabulary of 512 must take seconds, reach the vocabulary, compress, and round-trip
/// both parts exactly.
@Suite(.enabled(if: RealFortunes.installed,
                "Debian's fortunes is not installed (apt-get install fortunes, or launch/install-deps)"))
struct BytePairFortunesTests {
    @Test func learnsFortunesQuicklyAndCompresses() throws {
        let corpus = try RealFortunes.corpus.get()
        let n = try TextSplit.trainingCount(corpus.count, validationFraction: 0.1)
        let train = BytePairTokenizer.utf8(corpus.characters[..<n])
        let validation = BytePairTokenizer.utf8(corpus.characters[n...])

        let start = Date()
        let tokenizer = try BytePairTokenizer(learningFrom: train, vocabularySize: 512)
        let learning = Date().timeIntervalSince(start)
        let encodeStart = Date()
        let trainIDs = tokenizer.encode(bytes: train)
        let encoding = Date().timeIntervalSince(encodeStart)
        let validationIDs = tokenizer.encode(bytes: validation)

        #expect(tokenizer.count == 512)
        #expect(learning < 10, "learning 256 merges on \(train.count) bytes took \(learning) s")
        let trainRatio = Double(train.count) / Double(trainIDs.count)
        let validationRatio = Double(validation.count) / Double(validationIDs.count)
        // Measured 1.90 and 1.89 (2026-12-01); the characters take 1.0 byte each.
        #expect(trainRatio > 1.8, "training text: \(trainRatio) bytes per token")
        #expect(validationRatio > 1.8, "held-out text: \(validationRatio) bytes per token")
        #expect(try tokenizer.bytes(of: trainIDs) == train)
        #expect(try tokenizer.bytes(of: validationIDs) == validation)
        let characters = TextTokenizer.bytePairs(tokenizer).characterCounts(of: validationIDs)
        #expect(characters.total == corpus.count - n)
        print(String(format: "fortunes byte pairs: learned 256 merges on %d bytes in %.2f s, encoded them in %.2f s; "
                     + "%.3f bytes/token (train), %.3f (validation); first merges %@", train.count, learning, encoding,
                     trainRatio, validationRatio,
                     tokenizer.merges.prefix(8).map { String(decoding: try! tokenizer.bytes(of: [$0.first, $0.second]), as: UTF8.self).debugDescription }
                        .joined(separator: " ")))
    }
}
