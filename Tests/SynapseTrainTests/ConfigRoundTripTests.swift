import Foundation
import Testing
@testable import SynapseTrain

@Suite struct ConfigRoundTripTests {
    /// A config where every field differs from its default.
    static let everythingSet = """
        name: full-run
        model:
          kind: mlp
          hidden: [512, 256, 64]
          activation: gelu
          dropout: 0.25
          init: xavier_uniform
        data:
          dataset: mnist
          path: /data/mnist
          validation_size: 1000
          normalize: false
          train_subset: 20000
          test_subset: 500
        train:
          epochs: 7
          max_steps: 12345
          batch_size: 128
          seed: 7
          threads: 2
          loss: mse
          log_every: 10
          checkpoint_every: 500
          keep_checkpoints: 5
          eval_batch_size: 250
          grad_clip_norm: 1.5
          ema_decay: 0.999
          sam_rho: 1.5
          sam_adaptive: true
          early_stopping:
            patience: 3
            min_delta: 0.001
            metric: val_accuracy
            restore_best: false
        optimizer:
          name: rmsprop
          lr: 0.0003
          momentum: 0.5
          weight_decay: 0.0001
          eps: 1e-6
          alpha: 0.9
          centered: true
          l1: 1e-5
          l2: 2e-5
        """

    @Test func fullFileSurvivesResolvedYAML() throws {
        let config = try ConfigLoader.parse(yaml: Self.everythingSet)
        #expect(config.name == "full-run")
        #expect(config.model.hidden == [512, 256, 64])
        #expect(config.train.earlyStopping.metric == .valAccuracy)
        #expect(config.optimizer.eps == 1e-6)
        #expect(config.optimizer.centered)
        #expect(config.train.emaDecay == 0.999)
        #expect(config.train.samRho == 1.5 && config.train.samAdaptive)

        let yaml = config.resolvedYAML()
        let reloaded = try ConfigLoader.parse(yaml: yaml, source: "resolved.yaml")
        #expect(reloaded == config)
        // Resolving again is a fixed point: byte-identical text, identical hash.
        #expect(reloaded.resolvedYAML() == yaml)
        #expect(reloaded.hash == config.hash)
    }

    @Test func distillationSectionSurvivesResolvedYAML() throws {
        let config = try ConfigLoader.parse(yaml: """
            name: student
            train:
              distillation:
                teachers: [runs/teacher-a, /abs/runs/teacher-b/checkpoints/latest]
                temperature: 2.5
                weight: 0.75
            """)
        #expect(config.train.distillation == DistillationConfig(
            teachers: ["runs/teacher-a", "/abs/runs/teacher-b/checkpoints/latest"], temperature: 2.5, weight: 0.75))
        let reloaded = try ConfigLoader.parse(yaml: config.resolvedYAML(), source: "resolved.yaml")
        #expect(reloaded == config)
        #expect(Config().train.distillation == DistillationConfig() && !Config().train.distillation.isEnabled)
    }

    @Test func fineTuningKeysSurviveResolvedYAML() throws {
        let config = try ConfigLoader.parse(yaml: """
            name: fine-tune
            model: { hidden: [256, 64], init_from: runs/fashion-mlp/checkpoints/latest, init_skip: [fc3, fc2.bias] }
            train: { freeze: [fc1] }
            """)
        #expect(config.model.initFrom == "runs/fashion-mlp/checkpoints/latest" && config.model.startsFromPretrainedWeights)
        #expect(config.model.initSkip == ["fc3", "fc2.bias"] && config.train.freeze == ["fc1"])
        let yaml = config.resolvedYAML()
        #expect(try ConfigLoader.parse(yaml: yaml, source: "resolved.yaml") == config)
        // The source stays in the resolved config (and so in the hash a resume compares).
        var elsewhere = config
        elsewhere.model.initFrom = "runs/other"
        #expect(elsewhere.hash != config.hash)
        // Off by default, written out as an empty text and an empty list.
        let defaults = Config().resolvedYAML()
        #expect(defaults.contains("init_from: \"\"") && defaults.contains("init_skip: []") && defaults.contains("freeze: []"),
                "\(defaults)")
        #expect(!Config().model.startsFromPretrainedWeights)
        #expect(try ConfigLoader.parse(yaml: "model: { init_from: }").model.initFrom == "", "an empty value is the default")
    }

    @Test func resolvedYAMLListsEveryKeyWithReadableNumbers() throws {
        let yaml = Config().resolvedYAML()
        for key in ["name:", "kind: mlp", "hidden: [256, 128]", "init: default", "validation_size: 5000",
                    "max_steps: 0", "early_stopping:", "restore_best: true", "lr: 0.01", "eps: 1.0e-08",
                    "betas: [0.9, 0.999]", "lr_decay: 0", "path: /usr/share/datasets/fashion-mnist"] {
            #expect(yaml.contains(key), "missing '\(key)' in:\n\(yaml)")
        }
        // Float 0.01 must not be written as 0.0099999997764825821.
        #expect(!yaml.contains("0.00999"))
        #expect(try ConfigLoader.parse(yaml: yaml) == Config())
    }

    @Test func textThatLooksLikeAnotherTypeStaysText() throws {
        let config = Config(name: "true")
        #expect(config.resolvedYAML().hasPrefix("name: \"true\"\n"))  // quoted for other YAML readers
        #expect(try ConfigLoader.parse(yaml: config.resolvedYAML()).name == "true")
        let numeric = Config(name: "123")
        #expect(try ConfigLoader.parse(yaml: numeric.resolvedYAML()).name == "123")
    }

    @Test func hashIsFNV1aOfTheResolvedText() {
        // FNV-1a 64 test vectors from the reference page: "" → offset basis, "a" → 0xaf63dc4c8601ec8c.
        #expect(FNV1a.hash64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash64("foobar".utf8) == 0x85944171f73967e8)

        // The resolved text without the keys that do not change training (train.tensorboard,
        // overlap, bucket_mb, collective_timeout, gradient_exchange) and without train.accumulate_steps at its default.
        let config = Config()
        let text = config.resolvedYAML()
        var hashed = text
        for line in ["\n  tensorboard: true\n", "\n  accumulate_steps: 1\n", "\n  overlap: true\n", "\n  bucket_mb: 1.0\n",
                     "\n  collective_timeout: 300.0\n", "\n  gradient_exchange: auto\n"] {
            #expect(hashed.contains(line), "\(line) not in the resolved config")
            hashed = hashed.replacingOccurrences(of: line, with: "\n")
        }
        #expect(config.hash == FNV1a.hash64(hashed.utf8))
        #expect(config.hashHex.count == 16)
        #expect(UInt64(config.hashHex, radix: 16) == config.hash)

        var changed = config
        changed.train.seed = 43
        #expect(changed.hash != config.hash)
    }

    @Test func writtenFileLoadsBack() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("synapse-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.yaml")
        let config = try ConfigLoader.parse(yaml: Self.everythingSet)
        try config.resolvedYAML().write(to: file, atomically: true, encoding: .utf8)
        #expect(try ConfigLoader.load(path: file.path) == config)
    }
}
