import Foundation
import Testing
@testable import SynapseTrain

/// Parses `yaml` as if read from `configs/x.yaml` and checks the error's class, key and message,
/// which must always name the file and (when there is one) the dotted key.
@discardableResult
private func expectConfigError(_ yaml: String, overrides: [String] = [], kind: ConfigError.Kind, key: String?,
                               contains fragments: [String] = [],
                               sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    let error = #expect(throws: ConfigError.self, sourceLocation: sourceLocation) {
        try ConfigLoader.parse(yaml: yaml, source: "configs/x.yaml", overrides: overrides)
    }
    guard let error else { return nil }
    let text = error.description
    #expect(error.kind == kind, "\(text)", sourceLocation: sourceLocation)
    #expect(error.key == key, "\(text)", sourceLocation: sourceLocation)
    #expect(text.hasPrefix("configs/x.yaml"), "\(text)", sourceLocation: sourceLocation)
    if let key {
        #expect(text.contains(key), "key missing in: \(text)", sourceLocation: sourceLocation)
    }
    for fragment in fragments {
        #expect(text.contains(fragment), "'\(fragment)' missing in: \(text)", sourceLocation: sourceLocation)
    }
    return error
}

@Suite struct ConfigErrorTests {
    // MARK: - File and syntax

    @Test func missingFileNamesThePathAndNearbyConfigs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-cfg-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "name: a\n".write(to: directory.appendingPathComponent("real.yaml"), atomically: true, encoding: .utf8)

        let missing = directory.appendingPathComponent("typo.yaml").path
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: missing) }
        #expect(error?.kind == .missingFile)
        #expect(error?.description.hasPrefix(missing) == true)
        #expect(error?.description.contains("no such config file") == true)
        #expect(error?.description.contains("real.yaml") == true)

        let isDirectory = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: directory.path) }
        #expect(isDirectory?.kind == .missingFile)
        #expect(isDirectory?.description.contains("is a directory") == true)
    }

    @Test func syntaxErrorHasLineAndColumn() {
        let error = expectConfigError("""
            name: x
            train:
              epochs: 3
             batch_size: 64
            """, kind: .syntax, key: nil, contains: ["YAML syntax error", "configs/x.yaml:4:"])
        #expect(error?.line == 4)
        #expect(error?.column != nil)
        // The offending line is shown with a caret.
        #expect(error?.description.contains(" batch_size: 64\n") == true)
        #expect(error?.description.contains("^") == true)
    }

    @Test func unclosedFlowListIsASyntaxError() {
        let error = expectConfigError("model:\n  hidden: [256, 128\n", kind: .syntax, key: nil)
        #expect(error?.line != nil)
    }

    @Test func topLevelMustBeAMapping() {
        expectConfigError("- a\n- b\n", kind: .notAMapping, key: nil, contains: ["a list of 2 items"])
        expectConfigError("just text\n", kind: .notAMapping, key: nil, contains: ["'just text'"])
    }

    // MARK: - Keys

    @Test func unknownKeySuggestsTheClosestKey() {
        let error = expectConfigError("train:\n  epoch: 3\n", kind: .unknownKey, key: "train.epoch", contains: [
            "unknown key 'train.epoch' — did you mean 'train.epochs'?",
            "valid keys in 'train': epochs, max_steps, max_minutes, batch_size, seed",
        ])
        #expect(error?.line == 2)
    }

    @Test func unknownKeysAreCaughtAtEveryLevel() {
        expectConfigError("nmae: x\n", kind: .unknownKey, key: "nmae",
                          contains: ["did you mean 'name'?",
                                     "valid top-level keys: name, model, data, train, optimizer"])
        expectConfigError("model: {hiden: [3]}\n", kind: .unknownKey, key: "model.hiden",
                          contains: ["did you mean 'model.hidden'?"])
        expectConfigError("data: {validation: 3}\n", kind: .unknownKey, key: "data.validation")
        expectConfigError("train: {early_stopping: {patiense: 3}}\n", kind: .unknownKey,
                          key: "train.early_stopping.patiense",
                          contains: ["did you mean 'train.early_stopping.patience'?"])
        expectConfigError("optimizer: {learning_rate: 0.1}\n", kind: .unknownKey, key: "optimizer.learning_rate",
                          contains: ["valid keys in 'optimizer': name, lr, momentum"])
        expectConfigError("model: {init_form: runs/a}\n", kind: .unknownKey, key: "model.init_form",
                          contains: ["did you mean 'model.init_from'?"])
    }

    @Test func fineTuningKeysInTheWrongSectionPointToTheirs() {
        expectConfigError("model: {freeze: [fc1]}\n", kind: .unknownKey, key: "model.freeze",
                          contains: ["'freeze' belongs in 'train': write it as 'train.freeze'"])
        expectConfigError("train: {init_from: runs/a}\n", kind: .unknownKey, key: "train.init_from",
                          contains: ["'init_from' belongs in 'model'"])
    }

    @Test func misplacedKeyPointsToItsSection() {
        expectConfigError("train: {lr: 0.1}\n", kind: .unknownKey, key: "train.lr",
                          contains: ["'lr' belongs in 'optimizer': write it as 'optimizer.lr'"])
        expectConfigError("epochs: 3\n", kind: .unknownKey, key: "epochs",
                          contains: ["write it as 'train.epochs'"])
    }

    @Test func duplicateKeyIsAnError() {
        expectConfigError("train:\n  epochs: 3\n  epochs: 4\n", kind: .duplicateKey, key: "train.epochs",
                          contains: ["appears twice"])
    }

    // MARK: - Types

    @Test func wrongTypes() {
        expectConfigError("train: {batch_size: sixty}\n", kind: .wrongType, key: "train.batch_size",
                          contains: ["train.batch_size: expected an integer, got 'sixty'"])
        expectConfigError("train: {epochs: 2.5}\n", kind: .wrongType, key: "train.epochs",
                          contains: ["expected an integer, got '2.5'"])
        expectConfigError("train: {batch_size: \"64\"}\n", kind: .wrongType, key: "train.batch_size",
                          contains: ["the quoted text '64'", "remove the quotes"])
        expectConfigError("optimizer: {lr: fast}\n", kind: .wrongType, key: "optimizer.lr",
                          contains: ["expected a number, got 'fast'"])
        expectConfigError("optimizer: {lr: 1e39}\n", kind: .wrongType, key: "optimizer.lr",
                          contains: ["expected a finite number"])
        expectConfigError("data: {normalize: maybe}\n", kind: .wrongType, key: "data.normalize",
                          contains: ["expected true or false, got 'maybe'"])
        expectConfigError("train: {seed: -1}\n", kind: .wrongType, key: "train.seed",
                          contains: ["expected a non-negative integer"])
        expectConfigError("train: {epochs: 99999999999999999999}\n", kind: .wrongType, key: "train.epochs",
                          contains: ["(out of range)"])
        expectConfigError("model: {hidden: 256}\n", kind: .wrongType, key: "model.hidden",
                          contains: ["expected a list"])
        expectConfigError("model: {hidden: [256, wide]}\n", kind: .wrongType, key: "model.hidden[1]",
                          contains: ["expected an integer, got 'wide'"])
        expectConfigError("train: 5\n", kind: .wrongType, key: "train", contains: ["expected a section"])
        expectConfigError("train: {early_stopping: [1]}\n", kind: .wrongType, key: "train.early_stopping",
                          contains: ["got a list of 1 item"])
        expectConfigError("name: [a]\n", kind: .wrongType, key: "name", contains: ["expected text"])
    }

    @Test func unknownEnumValuesListTheChoices() {
        expectConfigError("model: {activation: swish}\n", kind: .invalidValue, key: "model.activation",
                          contains: ["unknown value 'swish'", "relu, sigmoid, tanh, leaky_relu, gelu"])
        expectConfigError("model: {kind: transformers}\n", kind: .invalidValue, key: "model.kind", contains: ["mlp, cnn, lstm, gru, rnn, transformer"])
        expectConfigError("model: {init: kaiming}\n", kind: .invalidValue, key: "model.init",
                          contains: ["default, he_uniform, he_normal, xavier_uniform, xavier_normal"])
        expectConfigError("data: {dataset: imagenet}\n", kind: .invalidValue, key: "data.dataset",
                          contains: ["fashion-mnist, mnist, cifar10"])
        expectConfigError("train: {loss: hinge}\n", kind: .invalidValue, key: "train.loss",
                          contains: ["cross_entropy, mse, mae"])
        expectConfigError("train: {early_stopping: {metric: acc}}\n", kind: .invalidValue,
                          key: "train.early_stopping.metric", contains: ["val_loss, val_accuracy"])
        expectConfigError("optimizer: {name: lion}\n", kind: .invalidValue, key: "optimizer.name",
                          contains: ["sgd, adam, adamw, rmsprop, adagrad"])
    }

    // MARK: - Ranges

    @Test(arguments: [
        ("optimizer: {lr: 0}", "optimizer.lr", "greater than 0"),
        ("optimizer: {lr: -0.1}", "optimizer.lr", "got -0.1"),
        ("train: {batch_size: 0}", "train.batch_size", "at least 1"),
        ("train: {epochs: -1}", "train.epochs", "got -1"),
        ("train: {epochs: 0}", "train.epochs", "nothing to train"),
        ("model: {hidden: [256, 0]}", "model.hidden[1]", "at least 1 unit"),
        ("model: {dropout: 1}", "model.dropout", "[0, 1)"),
        ("model: {dropout: -0.1}", "model.dropout", "[0, 1)"),
        ("optimizer: {momentum: -0.9}", "optimizer.momentum", "0 or more"),
        ("optimizer: {name: adam, betas: [0.9, 1.0]}", "optimizer.betas[1]", "[0, 1)"),
        ("optimizer: {name: adam, betas: [0.9]}", "optimizer.betas", "exactly two"),
        ("optimizer: {name: adam, eps: 0}", "optimizer.eps", "greater than 0"),
        ("optimizer: {weight_decay: -1e-4}", "optimizer.weight_decay", "0 or more"),
        ("data: {validation_size: -5}", "data.validation_size", "0 or more"),
        ("data: {train_subset: 1000, validation_size: 1000}", "data.validation_size", "train_subset"),
        ("train: {threads: 0}", "train.threads", "at least 1"),
        ("train: {keep_checkpoints: 0}", "train.keep_checkpoints", "at least 1"),
        ("train: {grad_clip_norm: -1}", "train.grad_clip_norm", "0 (off)"),
        ("train: {label_smoothing: 1}", "train.label_smoothing", "[0, 1)"),
        ("train: {label_smoothing: 0.1, loss: mse}", "train.label_smoothing", "cross_entropy only"),
        ("train: {ema_decay: 1}", "train.ema_decay", "(0, 1)"),
        ("train: {ema_decay: -0.5}", "train.ema_decay", "0 (off)"),
        ("train: {sam_rho: -0.05}", "train.sam_rho", "positive radius"),
        ("train: {sam_adaptive: true}", "train.sam_adaptive", "needs sam_rho > 0"),
        ("train: {distillation: {teachers: [runs/t], temperature: 0}}", "train.distillation.temperature", "positive temperature"),
        ("train: {distillation: {teachers: [runs/t], weight: 1.5}}", "train.distillation.weight", "[0, 1]"),
        ("train: {distillation: {teachers: ['']}}", "train.distillation.teachers[0]", "is empty"),
        ("train: {loss: mse, distillation: {teachers: [runs/t]}}", "train.distillation.teachers", "loss is mse"),
        ("train: {distillation: {teachers: [runs/t]}}\ndata: {augment: {horizontal_flip: true}}",
         "train.distillation.teachers", "remove data.augment"),
        ("model: {kind: cnn, convs_per_block: 0}", "model.convs_per_block", "at least 1 conv layer"),
        ("train: {early_stopping: {patience: 3}}\ndata: {validation_size: 0}",
         "train.early_stopping.patience", "validation_size"),
        ("name: a/b", "name", "run directory"),
        ("model: {init_skip: [fc3]}", "model.init_skip", "init_from is not set"),
        ("model: {init_from: runs/a, init_skip: ['']}", "model.init_skip[0]", "not a layer or parameter name"),
        ("train: {freeze: [fc1, 'fc2.']}", "train.freeze[1]", "e.g. conv1 or fc2.weight"),
        ("train: {freeze: ['fc1 ']}", "train.freeze[0]", "not a layer or parameter name"),
        ("data: {dataset: text, vocab_size: 512}", "data.vocab_size", "applies to tokenizer bpe only"),
        ("data: {dataset: text, tokenizer: char, vocab_size: 300}", "data.vocab_size", "set tokenizer: bpe"),
        ("data: {dataset: text, tokenizer: bpe, vocab_size: 256}", "data.vocab_size", "more than 256"),
        ("data: {dataset: text, tokenizer: bpe, vocab_size: 0}", "data.vocab_size", "got 0; e.g. vocab_size: 512"),
        ("data: {dataset: text, tokenizer: bpe, vocab_size: 100000}", "data.vocab_size", "at most 65536"),
        ("model: {kind: transformer}", "model.kind", "data.dataset: text"),
        ("model: {kind: transformer, width: 130, heads: 4}\ndata: {dataset: text}", "model.heads", "divide width 130"),
        ("model: {kind: transformer, layers: 0}\ndata: {dataset: text}", "model.layers", "at least 1 block"),
        ("model: {kind: transformer, context: 32}\ndata: {dataset: text, context: 64}", "data.context", "raise model.context"),
        ("model: {kind: mlp}\ndata: {dataset: text}", "model.kind", "kind transformer, lstm, gru or rnn"),
        ("optimizer: {name: adam, weight_decay_on: matrices}", "optimizer.weight_decay_on", "weight_decay is 0"),
    ])
    func outOfRange(yaml: String, key: String, fragment: String) {
        expectConfigError(yaml, kind: .invalidValue, key: key, contains: [fragment])
    }

    @Test func vocabularySizeErrorsAlsoComeFromOverrides() {
        expectConfigError("data: {dataset: text}\nmodel: {kind: lstm}", overrides: ["data.vocab_size=512"], kind: .invalidValue,
                          key: "data.vocab_size", contains: ["tokenizer char", "remove vocab_size"])
        expectConfigError("data: {dataset: text}\nmodel: {kind: lstm}", overrides: ["data.tokenizer=bpe", "data.vocab_size=200"],
                          kind: .invalidValue, key: "data.vocab_size", contains: ["got 200"])
    }

    @Test func outOfRangeErrorPointsAtTheLine() {
        let error = expectConfigError("name: x\noptimizer:\n  lr: -1\n", kind: .invalidValue, key: "optimizer.lr")
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("configs/x.yaml:3:") == true)
    }

    @Test func nesterovFollowsPyTorchsRule() throws {
        expectConfigError("optimizer: {nesterov: true}", kind: .invalidValue, key: "optimizer.nesterov",
                          contains: ["momentum > 0"])
        expectConfigError("optimizer: {nesterov: true, momentum: 0.9, dampening: 0.1}", kind: .invalidValue,
                          key: "optimizer.dampening", contains: ["must be 0 when nesterov"])
        let ok = try ConfigLoader.parse(yaml: "optimizer: {nesterov: true, momentum: 0.9}")
        #expect(ok.optimizer.nesterov)
    }

    @Test func hyperparameterOfAnotherOptimizerIsRejected() {
        expectConfigError("optimizer: {name: adam, momentum: 0.9}", kind: .invalidValue, key: "optimizer.momentum",
                          contains: ["adam does not use momentum", "sgd, rmsprop"])
        expectConfigError("optimizer: {name: sgd, betas: [0.8, 0.9]}", kind: .invalidValue, key: "optimizer.betas",
                          contains: ["sgd does not use betas", "adam, adamw"])
        expectConfigError("optimizer: {name: sgd, eps: 1e-6}", kind: .invalidValue, key: "optimizer.eps")
        expectConfigError("optimizer: {name: adagrad, centered: true}", kind: .invalidValue,
                          key: "optimizer.centered", contains: ["rmsprop"])
    }

    @Test func validateWorksOnConfigsBuiltInCode() {
        var config = Config()
        config.train.batchSize = 0
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(error?.key == "train.batch_size")
        #expect(error?.description.hasPrefix("<config>: train.batch_size") == true)
        #expect(throws: Never.self) { try Config().validate() }
    }
}
