import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// The GPT-style character model end to end: `synapse train configs/text-transformer-char.yaml` on a
/// small text (validation bits per character must fall well below the text's unigram
/// entropy), then `synapse generate` past the model's context (the key/value caches are
/// rebuilt as the window slides): reproducible for a seed, made of the corpus's words.
@Suite(.serialized) struct CLITransformerTests {
    static let shortRun = ["--set", "model.width=48", "--set", "model.layers=2", "--set", "model.heads=4",
                           "--set", "model.context=32", "--set", "data.context=32", "--set", "train.batch_size=16",
                           "--set", "train.max_steps=300", "--set", "train.log_every=50", "--set", "optimizer.lr=3e-3",
                           "--set", "train.schedule.warmup_steps=20", "--set", "train.eval_batch_size=64"]

    @Test func aCharacterTransformerLearnsAndGenerates() throws {
        let dir = try TestDirectory("text-transformer")
        let corpus = try dir.write(CLITextTests.corpus(), to: "corpus.txt")
        let run = dir.file("run")
        let config = ProcessRunner.packageRoot.appendingPathComponent("configs/text-transformer-char.yaml").path
        try CLITextTests.expectLearnsAndGenerates(config: config, corpus: corpus, run: run, overrides: Self.shortRun)

        // A prompt longer than the context: its last 32 characters are read.
        let long = try SynapseCLI.run(["generate", run, "--prompt", String(repeating: "the cat sees a dog. ", count: 5),
                                       "--length", "20", "--seed", "7"])
        #expect(long.status == 0 && long.stdout.count == 100 + 20 + 1, "\(long.report)")
        let bad = try SynapseCLI.run(["generate", run, "--prompt", "Zebra"])
        #expect(bad.status == 2 && bad.stderr.contains("'Z'"), "\(bad.report)")
    }
}
