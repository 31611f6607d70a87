import Foundation
import Testing
import SynapseNN
@testable import SynapseTrain

@Suite struct ConfigDefaultsTests {
    @Test func minimalFileTakesEveryDefault() throws {
        let config = try ConfigLoader.parse(yaml: "name: quick\n")
        #expect(config.name == "quick")
        #expect(config.runDirectory == "runs/quick")

        #expect(config.model.kind == .mlp)
        #expect(config.model.hidden == [256, 128])
        #expect(config.model.activation == .relu)
        #expect(config.model.dropout == 0)
        #expect(config.model.initializer == .pytorchDefault)

        #expect(config.data.dataset == .fashionMNIST)
        #expect(config.data.path == "/usr/share/datasets/fashion-mnist")
        #expect(config.data.validationSize == 5000)
        #expect(config.data.normalize == true)
        #expect(config.data.trainSubset == 0)
        #expect(config.data.testSubset == 0)

        #expect(config.train.epochs == 10)
        #expect(config.train.maxSteps == 0)
        #expect(config.train.batchSize == 64)
        #expect(config.train.seed == 42)
        #expect(config.train.threads == 1)
        #expect(config.train.loss == .crossEntropy)
        #expect(config.train.logEvery == 100)
        #expect(config.train.checkpointEvery == 0)
        #expect(config.train.keepCheckpoints == 3)
        #expect(config.train.evalBatchSize == 1000)
        #expect(config.train.gradClipNorm == 0)
        #expect(config.train.earlyStopping.patience == 0)
        #expect(config.train.earlyStopping.minDelta == 0)
        #expect(config.train.earlyStopping.metric == .valLoss)
        #expect(config.train.earlyStopping.restoreBest == true)
        #expect(!config.train.earlyStopping.isEnabled)

        #expect(config.optimizer.name == .sgd)
        #expect(config.optimizer.lr == 0.01)
        #expect(config.optimizer.momentum == 0)
        #expect(config.optimizer.dampening == 0)
        #expect(config.optimizer.nesterov == false)
        #expect(config.optimizer.weightDecay == 0)
        #expect(config.optimizer.betas == [0.9, 0.999])
        #expect(config.optimizer.eps == 1e-8)
        #expect(config.optimizer.alpha == 0.99)
        #expect(config.optimizer.centered == false)
        #expect(config.optimizer.lrDecay == 0)
        #expect(config.optimizer.l1 == 0)
        #expect(config.optimizer.l2 == 0)
    }

    @Test func emptyFileAndEmptySectionsAreDefaults() throws {
        #expect(try ConfigLoader.parse(yaml: "") == Config())
        #expect(try ConfigLoader.parse(yaml: "# only a comment\n") == Config())
        #expect(try ConfigLoader.parse(yaml: "model:\ntrain: ~\noptimizer: {}\n") == Config())
    }

    @Test func optimizerDefaultsDependOnTheOptimizer() throws {
        let adamw = try ConfigLoader.parse(yaml: "optimizer: {name: adamw}").optimizer
        #expect(adamw.weightDecay == 0.01)
        #expect(adamw.lr == 0.001)
        #expect(adamw.eps == 1e-8)

        let adam = try ConfigLoader.parse(yaml: "optimizer: {name: adam}").optimizer
        #expect(adam.weightDecay == 0)
        #expect(adam.lr == 0.001)

        let adagrad = try ConfigLoader.parse(yaml: "optimizer: {name: adagrad}").optimizer
        #expect(adagrad.eps == 1e-10)
        #expect(adagrad.lr == 0.01)

        let rmsprop = try ConfigLoader.parse(yaml: "optimizer: {name: rmsprop}").optimizer
        #expect(rmsprop.eps == 1e-8)
        #expect(rmsprop.alpha == 0.99)

        // An explicit value always wins over the per-optimizer default.
        let explicit = try ConfigLoader.parse(yaml: "optimizer: {name: adamw, weight_decay: 0, eps: 1e-6}").optimizer
        #expect(explicit.weightDecay == 0)
        #expect(explicit.eps == 1e-6)

        // The initializer resolves the same way as the decoder.
        #expect(OptimizerConfig(name: .adamw) == adamw)
    }

    @Test func dataPathFollowsTheDataset() throws {
        #expect(try ConfigLoader.parse(yaml: "data: {dataset: mnist}").data.path == "/usr/share/datasets/mnist")
        #expect(try ConfigLoader.parse(yaml: "data: {dataset: mnist, path: /tmp/m}").data.path == "/tmp/m")
    }

    @Test func vocabularySizeFollowsTheTokenizer() throws {
        let text = "data: {dataset: text}\nmodel: {kind: lstm}\n"
        #expect(try ConfigLoader.parse(yaml: text).data.vocabSize == 0)
        #expect(try ConfigLoader.parse(yaml: text, overrides: ["data.tokenizer=bpe"]).data.vocabSize == 512)
        #expect(try ConfigLoader.parse(yaml: text, overrides: ["data.tokenizer=bpe", "data.vocab_size=300"]).data.vocabSize == 300)
        // Written before the key it depends on, and null.
        #expect(try ConfigLoader.parse(yaml: "data: {vocab_size: 1000, dataset: text, tokenizer: bpe}\nmodel: {kind: lstm}").data.vocabSize == 1000)
        #expect(try ConfigLoader.parse(yaml: "data: {dataset: text, tokenizer: bpe, vocab_size: ~}\nmodel: {kind: lstm}").data.vocabSize == 512)
        // The resolved config of a byte-pair run loads back to the same config.
        let bpe = try ConfigLoader.parse(yaml: text, overrides: ["data.tokenizer=bpe"])
        #expect(try ConfigLoader.parse(yaml: bpe.resolvedYAML()) == bpe)
    }

    @Test func nullDependentKeyFollowsItsKey() throws {
        // `key:` with no value is the default, also where the default depends on another key.
        #expect(try ConfigLoader.parse(yaml: "data: {dataset: cifar10, path: ~}").data.path == "data/cifar-10-batches-bin")
        let adagrad = try ConfigLoader.parse(yaml: "optimizer:\n  name: adagrad\n  eps:\n  lr:\n").optimizer
        #expect(adagrad == OptimizerConfig(name: .adagrad))
        // The dependent key may also come before the key it depends on.
        #expect(try ConfigLoader.parse(yaml: "optimizer: {weight_decay: 0, name: adamw}").optimizer.weightDecay == 0)
        #expect(try ConfigLoader.parse(yaml: "optimizer: {lr: 0.5, name: adamw}").optimizer.lr == 0.5)
    }

    @Test func scalarSpellings() throws {
        let config = try ConfigLoader.parse(yaml: """
            data: {train_subset: 60_000, validation_size: 0, normalize: no}
            optimizer: {lr: 1e-3, weight_decay: 5e-4}
            train: {seed: 18446744073709551615, epochs: +3}
            model: {init: he_normal, activation: leaky_relu}
            """)
        #expect(config.data.trainSubset == 60_000)
        #expect(config.data.normalize == false)
        #expect(config.optimizer.lr == 1e-3)
        #expect(config.optimizer.weightDecay == 5e-4)
        #expect(config.train.seed == UInt64.max)
        #expect(config.train.epochs == 3)
        #expect(config.model.initializer == .heNormal)
        #expect(config.model.activation == .leakyRelu)
    }

    @Test func shippedExampleConfigLoads() throws {
        // Tests run from the package root; the example doubles as the format reference.
        let path = "configs/fashion-mlp.yaml"
        try #require(FileManager.default.fileExists(atPath: path))
        let config = try ConfigLoader.load(path: path)
        #expect(config.model.hidden == [256, 128])
        #expect(config.data.dataset == .fashionMNIST)
        #expect(try ConfigLoader.parse(yaml: config.resolvedYAML()) == config)
    }

    @Test func everyShippedConfigLoadsAndIsNamedAfterItsFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "configs").filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 4, "\(names)")
        for name in names {
            let config = try ConfigLoader.load(path: "configs/" + name)
            // `runs/<name>` is where a run lands by default, and other configs point at it.
            #expect(config.name + ".yaml" == name)
        }
    }

    @Test func totalStepsFromEpochsAndMaxSteps() {
        var t = TrainConfig()
        t.epochs = 3; t.maxSteps = 0
        #expect(t.totalSteps(stepsPerEpoch: 78) == 234)     // 3 epochs of 78
        t.maxSteps = 100
        #expect(t.totalSteps(stepsPerEpoch: 78) == 100)     // capped by max_steps
        t.maxSteps = 500
        #expect(t.totalSteps(stepsPerEpoch: 78) == 234)     // the epochs end first
        t.epochs = 0
        #expect(t.totalSteps(stepsPerEpoch: 78) == 500)     // max_steps alone
    }
}
