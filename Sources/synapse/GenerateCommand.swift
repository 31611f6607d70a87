import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse generate CHECKPOINT`: samples text from a character language model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample text from a text model's checkpoint.",
        discussion: """
        CHECKPOINT is a checkpoint directory (step-NNNNNNNN), its `latest` link, or a run \
        directory of a model trained with data.dataset: text. Prints the prompt, then each \
        generated token's text as soon as it is drawn. The vocabulary comes from the \
        checkpoint, so no corpus is needed; with a character tokenizer, a prompt character \
        outside it is an error (exit status 2); byte pairs encode any prompt. The same \
        checkpoint, prompt, settings and seed give the same text.
        """)

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    @Option(name: .long, help: "Text the model continues (default: a newline).")
    var prompt: String = ""

    @Option(name: .long, help: "Tokens to generate (characters, with a character tokenizer).")
    var length: Int = 300

    @Option(name: .long, help: "Softmax temperature: below 1 more conservative, above 1 more varied, 0 the most probable character.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Sample among the K most probable characters only (0: all).")
    var topK: Int = 0

    @Option(name: .long, help: "Seed of the sampling.")
    var seed: UInt64 = 42

    func validate() throws {
        guard length >= 1 else { throw ValidationError("--length must be at least 1, got \(length)") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be 0 or more, got \(temperature)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 (all) or more, got \(topK)") }
    }

    func run() throws {
        let generator = try TextGenerator(checkpoint: checkpoint)
        var settings = TextGenerator.Settings()
        settings.length = length
        settings.temperature = temperature
        settings.topK = topK
        settings.seed = seed
        do {
            _ = try generator.tokenizer.encode(prompt)   // a bad prompt fails before anything is printed
        } catch {
            throw UserError("--prompt: \(error)".replacingOccurrences(of: "; encode only text the vocabulary was built from, or build a new tokenizer from this text", with: "")
                            + "; the model knows only the characters of the text it was trained on (see synapse inspect)")
        }
        let out = FileHandle.standardOutput
        out.write(Data(prompt.utf8))
        try generator.generate(prompt: prompt, settings: settings) { out.write(Data($0.utf8)) }
        out.write(Data("\n".utf8))
    }
}
