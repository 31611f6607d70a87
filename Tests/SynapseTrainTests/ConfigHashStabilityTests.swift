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
        ("<defaults>", "e1d7b5631c1031f0"),
        ("configs/fashion-cnn-bn.yaml", "d87fc8a8b28f61e4"),
        ("configs/fashion-cnn-teacher.yaml", "7227fbf57d10976d"),
        ("configs/fashion-cnn.yaml", "3c3df35ee01bea6a"),
        ("configs/fashion-mlp.yaml", "ad4e5f647a1dfef6"),
        ("configs/text-lstm.yaml", "d6c97cdf5df92ba0"),
        ("configs/text-transformer.yaml", "ea420d1528c1f071"),
        ("data: {dataset: mnist}", "1836a1ac31a18bc0"),
        ("data: {dataset: cifar10}", "0ac11bf963edeed9"),
        ("data: {dataset: text}\nmodel: {kind: lstm}", "d0d0e60d7d321300"),
        ("optimizer: {name: adamw}", "cc1af3f633903223"),
        ("optimizer: {name: adagrad}", "8918785e5d08cba5"),
        ("data: {dataset: text, tokenizer: bpe}\nmodel: {kind: lstm}", "0"),
    ])
    func resolvedConfigHashIsUnchanged(source: String, expected: String) throws {
        let config = source == "<defaults>" ? Config()
            : source.hasPrefix("configs/") ? try ConfigLoader.load(path: source) : try ConfigLoader.parse(yaml: source)
        print("HASH \(source.debugDescription) \(config.hashHex)")
        #expect(config.hashHex == expected, "the resolved config of \(source) changed:\n\(config.resolvedYAML())")
    }
}
