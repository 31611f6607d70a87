import Foundation
import Testing
import SynapseComm
import SynapseData
@testable import SynapseTrain

/// Bits per character is the reported metric for both tokenizers: nats / ln 2 per character
/// for characters, and for byte pairs the nats of the predicted tokens over the characters
/// those tokens complete. On ASCII text every byte is a character, so a window's characters
/// are its target tokens' bytes: an independent count to check against.
@Suite struct TextBitsPerCharacterTests {
    static func source(tokenizer: DataConfig.Tokenizer, text: String, in dir: ScratchDirectory) throws -> TextDataSource {
        let path = dir.file("corpus.txt")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        var config = Config()
        config.model.kind = .lstm
        config.data = DataConfig(dataset: .text, tokenizer: tokenizer)
        config.data.path = path
        config.data.context = 16
        config.train.batchSize = 4
        try config.validate()
        return try TextDataSource(data: try TextData(config: config), config: config, comm: LocalCommunicator())
    }

    static let text = (0..<400).map { "line \($0): the quick brown fox, number \($0 * 7 % 13), jumps.\n" }.joined()

    @Test func characterTokensAreOneCharacterEach() throws {
        let dir = try ScratchDirectory("bits-char")
        defer { dir.remove() }
        let source = try Self.source(tokenizer: .char, text: Self.text, in: dir)
        #expect(source.charactersPerPrediction(.trainingSteps(0..<5)) == 1)
        #expect(source.charactersPerPrediction(.evaluation(.validation)) == 1)
        #expect(source.bitsPerCharacter(log(2) * 1.5, over: .evaluation(.validation)) == 1.5)
    }

    @Test func bytePairCharactersAreTheTargetTokensCharacters() throws {
        let dir = try ScratchDirectory("bits-bpe")
        defer { dir.remove() }
        let source = try Self.source(tokenizer: .bpe, text: Self.text, in: dir)
        guard case .bytePairs(let tokenizer) = source.data.tokenizer else { Issue.record("not byte pairs"); return }
        #expect(tokenizer.count > 300)
        func bytes(_ id: Int32) -> Int { (try? tokenizer.bytes(of: id).count) ?? 0 }

        // Training: the windows of steps 3..<7, drawn as TextDataSource draws them.
        let train = source.data.split.train, T = 16
        let windows = try TrainingWindows(tokens: train, context: T, globalBatchSize: 4, seed: Config().train.seed, source: "t")
        var characters = 0
        for step in 3..<7 {
            for o in windows.globalOffsets(step: step) { characters += train[(o + 1)...(o + T)].map(bytes).reduce(0, +) }
        }
        let perPrediction = try #require(source.charactersPerPrediction(.trainingSteps(3..<7)))
        #expect(abs(perPrediction - Double(characters) / Double(4 * 4 * T)) < 1e-12)
        #expect(perPrediction > 2, "a byte-pair token of this text holds several characters: \(perPrediction)")

        // Validation: tokens 1 … n·T of the validation part.
        let validation = source.data.split.validation
        let n = (validation.count - 1) / T
        let scored = validation[1...(n * T)].map(bytes).reduce(0, +)
        let evaluation = try #require(source.charactersPerPrediction(.evaluation(.validation)))
        #expect(abs(evaluation - Double(scored) / Double(n * T)) < 1e-12)
        let nats = 0.9
        #expect(abs(source.bitsPerCharacter(nats, over: .evaluation(.validation))! - nats * Double(n * T) / Double(scored) / log(2)) < 1e-12)

        // Both parts are the same text as with characters: the split falls at the same character.
        let characterSource = try Self.source(tokenizer: .char, text: Self.text, in: dir)
        #expect(source.data.trainCharacters.total == characterSource.data.split.train.count)
        #expect(source.data.validationCharacters.total == characterSource.data.split.validation.count)
    }
}
