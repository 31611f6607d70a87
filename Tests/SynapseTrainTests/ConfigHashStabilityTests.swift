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
    /// `init(from:)`s (they now decode the file laid over the defaults).
    @Test(arguments: [
        ("<defaults>", "cea2f7b9a3860edb"),
        ("configs/fashion-cnn-bn.yaml", "39bfab5bb4725981"),
        ("configs/fashion-cnn-teacher.yaml", "36e310aad91a10fa"),
        ("configs/fashion-cnn.yaml", "864709ea645ef7e1"),
        ("configs/fashion-mlp.yaml", "8a89264c8cfb4a19"),
        ("configs/text-lstm.yaml", "5b32cc5cce44decb"),
        ("data: {dataset: mnist}", "6d62dcefe6b3d2a3"),
        ("data: {dataset: cifar10}", "674f7d1175624de2"),
        ("data: {dataset: text}\nmodel: {kind: lstm}", "80a514e2efc5f291"),
        ("optimizer: {name: adamw}", "8f08b58891bcdf2e"),
        ("optimizer: {name: adagrad}", "5773913a625c1946"),
    ])
    func resolvedConfigHashIsUnchanged(source: String, expected: String) throws {
        let config = source == "<defaults>" ? Config()
            : source.hasPrefix("configs/") ? try ConfigLoader.load(path: source) : try ConfigLoader.parse(yaml: source)
        #expect(config.hashHex == expected, "the resolved config of \(source) changed:\n\(config.resolvedYAML())")
    }
}
