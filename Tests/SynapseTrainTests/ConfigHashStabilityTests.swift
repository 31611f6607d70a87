import Foundation
import Testing
@testable import SynapseTrain

/// The resolved config of the shipped configs and of the defaults must not change by accident:
/// checkpoints store `Config.hash`, and a resume whose hash differs warns that the config changed.
///
/// A refactoring of the config code must leave these hashes as they are. A deliberate change
/// (a new key, a new default) updates them here, knowing that old checkpoints will then warn.
@Suite struct ConfigHashStabilityTests {
    /// `Config.hashHex` of each case, first computed before the config sections lost their
    /// hand-written `init(from:)`s; updated when the Transformer's keys (model.width, heads,
    /// context, positions, tie_embeddings; optimizer.weight_decay_on; train.max_minutes) came, and
    /// when data.vocab_size came (every resolved config gained it; 512 for byte pairs).
    @Test(arguments: [
        ("<defaults>", "058726807f35eb77"),
        ("configs/fashion-cnn-bn.yaml", "24b76fc782472313"),
        ("configs/fashion-cnn-teacher.yaml", "e9f522f42b8d8f9a"),
        ("configs/fashion-cnn.yaml", "c98eef4cf410ceed"),
        ("configs/fashion-mlp.yaml", "fbe68764296b30ad"),
        ("configs/text-lstm.yaml", "7a11b7ce3c5cf66d"),
        ("configs/text-transformer.yaml", "4791fc75ce06559b"),
        ("configs/text-transformer-char.yaml", "b9fd9df45532f913"),
        ("data: {dataset: mnist}", "c64f56b5e6052087"),
        ("data: {dataset: cifar10}", "a0eb8cc78e525026"),
        ("data: {dataset: text}\nmodel: {kind: lstm}", "baf59c3123fa49c7"),
        ("optimizer: {name: adamw}", "960e5ecb916e881c"),
        ("optimizer: {name: adagrad}", "7852bef4685243d2"),
        ("data: {dataset: text, tokenizer: bpe}\nmodel: {kind: lstm}", "319203813b985748"),
    ])
    func resolvedConfigHashIsUnchanged(source: String, expected: String) throws {
        let config = source == "<defaults>" ? Config()
            : source.hasPrefix("configs/") ? try ConfigLoader.load(path: source) : try ConfigLoader.parse(yaml: source)
        #expect(config.hashHex == expected, "the resolved config of \(source) changed:\n\(config.resolvedYAML())")
    }

    /// `train.tensorboard` changes what a run writes, not how it trains: it is in the resolved
    /// config (config.yaml) but not in the hash, so the pinned hashes above did not move when it
    /// came, and a resume that turns it off is the same run.
    @Test func tensorboardIsOutsideTheHash() throws {
        let on = try ConfigLoader.parse(yaml: "train: {tensorboard: true}")
        let off = try ConfigLoader.parse(yaml: "train: {tensorboard: false}")
        #expect(on == Config() && off != on)
        #expect(on.train.tensorboard && !off.train.tensorboard)
        #expect(on.resolvedYAML().contains("  tensorboard: true\n") && off.resolvedYAML().contains("  tensorboard: false\n"))
        #expect(off.hashHex == on.hashHex)
        #expect(on.hashHex == "058726807f35eb77")
        // Every other key still counts.
        #expect(try ConfigLoader.parse(yaml: "train: {tensorboard: false, log_every: 99}").hash != on.hash)
    }
}
