import Foundation
import Testing
@testable import SynapseTrain

/// The resolved config of the shipped configs and of the defaults must not change by accident:
/// checkpoints store `Config.hash`, and a resume whose hash differs warns that the config changed.
///
/// A refactoring of the config code must leave these hashes as they are. A deliberate change
/// (a new key, a new default) updates them here, knowing that old checkpoints will then warn.
@Suite struct ConfigHashStabilityTests {
    /// `Config.hashHex` of each case, computed before the config sections lost their hand-written
    /// `init(from:)`s (they now decode the file laid over the defaults), and again when
    /// `data.vocab_size` was added (every resolved config gained the key; byte pairs: 512).
    @Test(arguments: [
        ("<defaults>", "e5d5e6ac605523bc"),
        ("configs/fashion-cnn-bn.yaml", "472f6a35c6d980da"),
        ("configs/fashion-cnn-teacher.yaml", "61894727071f3949"),
        ("configs/fashion-cnn.yaml", "58ba712bd02f8792"),
        ("configs/fashion-mlp.yaml", "c0f88ae9619a151a"),
        ("configs/text-lstm.yaml", "e86e72792240c03e"),
        ("data: {dataset: mnist}", "637d9508e28b6724"),
        ("data: {dataset: cifar10}", "bb9f509b399f3615"),
        ("data: {dataset: text}\nmodel: {kind: lstm}", "ac491455ec4fa60e"),
        ("optimizer: {name: adamw}", "1f5fa84bb5ea41f5"),
        ("optimizer: {name: adagrad}", "9c03e67ee34275c1"),
        ("data: {dataset: text, tokenizer: bpe}\nmodel: {kind: lstm}", "3a4d227eb2a48ef3"),
    ])
    func resolvedConfigHashIsUnchanged(source: String, expected: String) throws {
        let config = source == "<defaults>" ? Config()
            : source.hasPrefix("configs/") ? try ConfigLoader.load(path: source) : try ConfigLoader.parse(yaml: source)
        #expect(config.hashHex == expected, "the resolved config of \(source) changed:\n\(config.resolvedYAML())")
    }
}
