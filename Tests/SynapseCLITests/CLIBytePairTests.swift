import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// A byte-pair language model end to end: `synapse train --set data.tokenizer=bpe` on a small
/// text (validation bits per character falls well below the text's unigram entropy, and is
/// reported per character, not per token), tokenizer.json holds the merges, `synapse
/// generate` decodes tokens reproducibly for a seed, and a resume with another tokenizer is
/// refused (exit 2).
@Suite(.serialized) struct CLIBytePairTests {
    @Test func aBytePairLSTMLearnsAndGenerates() throws {
        let dir = try TestDirectory("text-bpe")
        let corpus = try dir.write(CLITextTests.corpus(), to: "corpus.txt")
        let run = dir.file("run")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        let bpe = ["--set", "data.path=\(corpus)", "--set", "data.tokenizer=bpe", "--set", "data.vocab_size=320"]
        // The text is 15.6k tokens, 30 steps an epoch: 20 epochs, so that max_steps (300) ends the run as for characters.
        let trained = try SynapseCLI.run(["train", config, "--run-dir", run] + bpe + CLITextTests.shortRun
                                         + ["--set", "train.epochs=20"], timeout: 300)
        try #require(trained.status == 0, "\(trained.report)")
        #expect(trained.stdout.contains("320 byte-pair tokens (256 bytes + 64 merges)"), "\(trained.stdout)")
        #expect(trained.stdout.contains("bits/char") && trained.stdout.contains("tokens/s"), "\(trained.stdout)")

        // Train rows too report bits per character; a token holds several characters, so
        // bits per character is well below the loss in bits per token.
        let rows = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let last = try #require(rows.last)
        #expect(last["split"] as? String == "val")
        let bits = try #require(last["bits_per_char"] as? Double, "\(last)")
        let loss = try #require(last["loss"] as? Double)
        #expect(bits < 0.8, "validation bits/char after 300 steps: \(bits) (the text's unigram entropy is about 4; 0.56 measured)")
        #expect(bits < 0.6 * loss / log(2), "bits/char \(bits) against \(loss / log(2)) bits/token")
        let train = try #require(rows.last { $0["split"] as? String == "train" })
        let trainBits = try #require(train["bits_per_char"] as? Double)
        #expect(trainBits < 0.6 * (train["loss"] as? Double ?? 0) / log(2), "\(train)")

        let json = try #require(FileManager.default.contents(atPath: run + "/checkpoints/latest/tokenizer.json"))
        let saved = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(saved["kind"] as? String == "bpe" && (saved["merges"] as? [[Int]])?.count == 64, "\(saved)")

        let first = try SynapseCLI.run(["generate", run, "--prompt", "the", "--length", "60", "--seed", "7"])
        let again = try SynapseCLI.run(["generate", run, "--prompt", "the", "--length", "60", "--seed", "7"])
        let other = try SynapseCLI.run(["generate", run, "--prompt", "the", "--length", "60", "--seed", "8"])
        try #require(first.status == 0, "\(first.report)")
        #expect(first.stdout == again.stdout && first.stdout != other.stdout)
        #expect(first.stdout.hasPrefix("the") && first.stdout.count > 3 + 60 + 1, "60 tokens are more than 60 characters: \(first.stdout)")
        let known = Set(CLITextTests.corpus().split(whereSeparator: { !$0.isLetter }).map(String.init))
        let words = first.stdout.split(whereSeparator: { !$0.isLetter }).map(String.init)
        let real = words.filter(known.contains).count
        #expect(Double(real) >= 0.6 * Double(words.count), "\(real) of \(words.count) words are real: \(first.stdout)")
        // Byte pairs encode any prompt, even characters the corpus never had.
        let unseen = try SynapseCLI.run(["generate", run, "--prompt", "Zébra 😀", "--length", "5"])
        #expect(unseen.status == 0 && unseen.stdout.hasPrefix("Zébra 😀"), "\(unseen.report)")

        // A resume that would learn other merges, or use characters, is refused before anything is written.
        let more = try SynapseCLI.run(["train", config, "--run-dir", run, "--resume", "auto"] + bpe + CLITextTests.shortRun
                                      + ["--set", "data.vocab_size=330", "--set", "train.max_steps=350", "--set", "train.epochs=20"])
        #expect(more.status == 2 && more.stderr.contains("merges") && more.stderr.contains("data.vocab_size"), "\(more.report)")
        let characters = try SynapseCLI.run(["train", config, "--run-dir", run, "--resume", "auto", "--set", "data.path=\(corpus)"]
                                            + CLITextTests.shortRun + ["--set", "train.max_steps=350", "--set", "train.epochs=20"])
        #expect(characters.status == 2 && characters.stderr.contains("data.tokenizer bpe"), "\(characters.report)")
        let savedConfig = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        #expect(savedConfig.contains("vocab_size: 320"), "a refused resume rewrote config.yaml")
    }

    @Test func vocabularySizeWithCharactersIsAConfigError() throws {
        let dir = try TestDirectory("text-bpe-config")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        let run = dir.file("run")
        let result = try SynapseCLI.run(["train", config, "--run-dir", run, "--set", "data.vocab_size=512"])
        #expect(result.status == 2 && result.stderr.contains("data.vocab_size") && result.stderr.contains("tokenizer: bpe"),
                "\(result.report)")
        #expect(!FileManager.default.fileExists(atPath: run))
    }
}
