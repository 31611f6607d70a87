import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// Character language models end to end: `synapse train` on a text file (validation bits per
/// character must fall well below the text's unigram entropy), `synapse generate` (the same
/// seed gives the same text; a prompt outside the vocabulary is exit 2), and the bad inputs
/// of a text run (empty corpus, binary file, a context longer than the validation text, a
/// resume on a corpus with other characters), each exit 2 with nothing half-written.
@Suite(.serialized) struct CLITextTests {
    /// A small corpus of simple English sentences in a fixed pseudo-random order (about 40 kB,
    /// 31 characters, unigram entropy ≈ 4 bits per character).
    static func corpus() -> String {
        let subjects = ["the cat", "a dog", "my friend", "the old man", "a bird"]
        let verbs = ["sees", "likes", "finds", "watches", "follows"]
        let objects = ["the red ball", "a green tree", "the small house", "a quiet river", "the long road"]
        var state: UInt32 = 12345, lines: [String] = []
        func next(_ n: Int) -> Int { state = state &* 1_103_515_245 &+ 12345; return Int((state >> 16) % UInt32(n)) }
        for _ in 0..<1500 { lines.append("\(subjects[next(5)]) \(verbs[next(5)]) \(objects[next(5)]).") }
        return lines.joined(separator: "\n") + "\n"
    }

    static let shortRun = ["--set", "model.hidden_size=64", "--set", "model.layers=1", "--set", "model.embedding=16",
                           "--set", "data.context=32", "--set", "train.batch_size=16", "--set", "train.max_steps=300",
                           "--set", "train.log_every=50", "--set", "train.schedule.warmup_steps=20",
                           "--set", "train.eval_batch_size=64"]

    /// Trains `config` on `corpus` into `run` (with `overrides`): the validation bits/char of
    /// the last row must fall below 1.5 (the corpus's unigram entropy is about 4). Then
    /// `generate` 200 characters after "the " three times: the same seed gives the same text,
    /// another seed another, and most generated words are words of the corpus.
    static func expectLearnsAndGenerates(config: String, corpus: String, run: String, overrides: [String],
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let trained = try SynapseCLI.run(["train", config, "--run-dir", run, "--set", "data.path=\(corpus)"] + overrides,
                                         timeout: 300)
        try #require(trained.status == 0, "\(trained.report)", sourceLocation: sourceLocation)
        #expect(trained.stdout.contains("bits/char") && trained.stdout.contains("tokens/s"), "\(trained.stdout)",
                sourceLocation: sourceLocation)
        let rows = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let last = try #require(rows.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                sourceLocation: sourceLocation)
        #expect(last["split"] as? String == "val", sourceLocation: sourceLocation)
        let bits = try #require(last["bits_per_char"] as? Double, "\(last)", sourceLocation: sourceLocation)
        #expect(bits < 1.5, "validation bits/char after 300 steps: \(bits) (the text's unigram entropy is about 4)",
                sourceLocation: sourceLocation)

        let first = try SynapseCLI.run(["generate", run, "--prompt", "the ", "--length", "200", "--seed", "7"])
        let again = try SynapseCLI.run(["generate", run, "--prompt", "the ", "--length", "200", "--seed", "7"])
        let other = try SynapseCLI.run(["generate", run, "--prompt", "the ", "--length", "200", "--seed", "8"])
        try #require(first.status == 0, "\(first.report)", sourceLocation: sourceLocation)
        #expect(first.stdout == again.stdout && first.stdout != other.stdout, sourceLocation: sourceLocation)
        #expect(first.stdout.hasPrefix("the ") && first.stdout.count == 4 + 200 + 1, "\(first.stdout)", sourceLocation: sourceLocation)
        let known = Set(Self.corpus().split(whereSeparator: { !$0.isLetter }).map(String.init))
        let words = first.stdout.split(whereSeparator: { !$0.isLetter }).map(String.init)
        let real = words.filter(known.contains).count
        #expect(Double(real) >= 0.7 * Double(words.count), "\(real) of \(words.count) words are real: \(first.stdout)",
                sourceLocation: sourceLocation)
    }

    @Test func aCharacterLSTMLearnsAndGenerates() throws {
        let dir = try TestDirectory("text-lstm")
        let corpus = try dir.write(Self.corpus(), to: "corpus.txt")
        let run = dir.file("run")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        try Self.expectLearnsAndGenerates(config: config, corpus: corpus, run: run, overrides: Self.shortRun)
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/latest/tokenizer.json"))

        let bad = try SynapseCLI.run(["generate", run, "--prompt", "Zebra"])
        #expect(bad.status == 2 && bad.stderr.contains("--prompt") && bad.stderr.contains("'Z'"), "\(bad.report)")
        #expect(bad.stdout.isEmpty, "nothing is printed before the prompt is checked: \(bad.stdout)")

        // Resuming on a corpus with a character the checkpoint's vocabulary lacks is refused.
        let changed = try dir.write(Self.corpus() + "Zebra!\n", to: "changed.txt")
        let resumed = try SynapseCLI.run(["train", config, "--run-dir", run, "--resume", "auto", "--set", "data.path=\(changed)"]
                                         + Self.shortRun + ["--set", "train.max_steps=350"])
        #expect(resumed.status == 2 && resumed.stderr.contains("lacks") && resumed.stderr.contains("'Z'"), "\(resumed.report)")
        let savedConfig = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        #expect(savedConfig.contains(corpus) && !savedConfig.contains(changed), "the refused resume rewrote config.yaml")
    }

    @Test func badTextInputsAreClearErrors() throws {
        let dir = try TestDirectory("text-bad")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-lstm.yaml").path
        let empty = try dir.write("", to: "empty.txt")
        let binary = dir.file("binary.bin")
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0x00, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
        let short = try dir.write(String(repeating: "abcdefghij", count: 30), to: "short.txt")
        let cases: [(String, [String], String)] = [
            ("empty corpus", ["--set", "data.path=\(empty)"], "empty"),
            ("binary file", ["--set", "data.path=\(binary)"], "binary"),
            ("context longer than the validation text", ["--set", "data.path=\(short)", "--set", "data.context=64"], "validation"),
            ("missing corpus", ["--set", "data.path=\(dir.file("nowhere.txt"))"], "nowhere.txt"),
            ("an mlp on text", ["--set", "model.kind=mlp"], "lstm, gru or rnn"),
        ]
        for (what, arguments, fragment) in cases {
            let run = dir.file("run-\(what.split(separator: " ").joined(separator: "-"))")
            let result = try SynapseCLI.run(["train", config, "--run-dir", run] + arguments)
            #expect(result.status == 2, "\(what): \(result.report)")
            #expect(result.stderr.lowercased().contains(fragment.lowercased()), "\(what): \(result.report)")
            #expect(!FileManager.default.fileExists(atPath: run), "\(what): the run directory was created")
        }
    }
}
