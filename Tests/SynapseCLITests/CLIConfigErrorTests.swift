import Foundation
import Testing
import SynapseTestSupport

/// Bad configs, as a user meets them: `synapse train` must print one message naming the file
/// (with line), the key and the value and saying how to fix it, exit with status 2, and leave
/// no metrics or checkpoints behind. None of these needs the dataset: the config is checked first.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct CLIConfigErrorTests {
    /// A config file with `body`, trained into a run directory next to it; returns the result
    /// after checking that the run directory holds no record.
    private func train(config body: String, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation)
        throws -> (result: ProcessResult, config: String) {
        let dir = try TestDirectory("config-error")
        defer { dir.remove() }
        let config = try dir.write(body, to: "bad.yaml")
        let runDir = dir.file("run")
        let result = try SynapseCLI.run(["train", config, "--run-dir", runDir] + extra)
        expectNoRunOutputs(in: runDir, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: runDir), "the run directory was created\n\(result.report)",
                sourceLocation: sourceLocation)
        return (result, config)
    }

    @Test func yamlSyntaxErrorNamesFileLineAndFix() throws {
        let (result, config) = try train(config: "name: x\nmodel:\n  hidden: [10\ntrain:\n  epochs: 1\n")
        expectUserError(result, mentions: ["\(config):4:", "YAML syntax error", "indentation"])
    }

    @Test func tabIndentationIsASyntaxError() throws {
        let (result, config) = try train(config: "train:\n\tepochs: 3\n")
        expectUserError(result, mentions: ["\(config):2:", "YAML syntax error", "spaces, not tabs"])
    }

    @Test func unknownKeySuggestsTheRightOne() throws {
        let (result, config) = try train(config: "name: x\ntrain:\n  epoch: 3\n")
        expectUserError(result, mentions: ["\(config):3:", "unknown key 'train.epoch'", "did you mean 'train.epochs'"])
    }

    @Test func unknownSectionIsAnError() throws {
        let (result, config) = try train(config: "trainer:\n  epochs: 3\n")
        expectUserError(result, mentions: [config, "'trainer'", "train"])
    }

    @Test func wrongTypeNamesKeyAndValue() throws {
        let (result, config) = try train(config: "train:\n  epochs: three\n")
        expectUserError(result, mentions: ["\(config):2:", "train.epochs", "integer", "three"])
    }

    @Test func quotedNumberSaysRemoveTheQuotes() throws {
        let (result, _) = try train(config: "train:\n  batch_size: \"64\"\n")
        expectUserError(result, mentions: ["train.batch_size", "remove the quotes"])
    }

    @Test func listWhereANumberBelongsIsAWrongType() throws {
        let (result, _) = try train(config: "optimizer:\n  lr: [0.1]\n")
        expectUserError(result, mentions: ["optimizer.lr"])
    }

    /// Out-of-range values, each written in the file: key, value and a fix in the message.
    @Test(arguments: [
        ("optimizer:\n  lr: -0.1\n", ["optimizer.lr", "greater than 0", "-0.1"]),
        ("optimizer:\n  lr: 0\n", ["optimizer.lr", "greater than 0"]),
        ("train:\n  batch_size: 0\n", ["train.batch_size", "at least 1", "got 0"]),
        ("model:\n  hidden: [0]\n", ["model.hidden[0]", "at least 1 unit", "got 0"]),
        ("model:\n  hidden: [64, -3]\n", ["model.hidden[1]", "got -3"]),
        ("model:\n  dropout: 1.0\n", ["model.dropout"]),
        ("train:\n  epochs: -1\n", ["train.epochs"]),
        ("train:\n  keep_checkpoints: 0\n", ["train.keep_checkpoints", "at least 1"]),
        ("data:\n  validation_size: -5\n", ["data.validation_size"]),
    ])
    func outOfRangeValueInTheFile(yaml: String, mentions: [String]) throws {
        let (result, config) = try train(config: yaml)
        expectUserError(result, mentions: [config + ":"] + mentions)
    }

    /// The same checks when the bad value comes from `--set`: the message names the argument.
    @Test(arguments: [
        ("optimizer.lr=-1", ["--set optimizer.lr=-1", "optimizer.lr", "greater than 0"]),
        ("train.batch_size=0", ["--set train.batch_size=0", "train.batch_size", "at least 1"]),
        ("model.hidden=[0]", ["--set model.hidden=[0]", "model.hidden[0]"]),
        ("train.epochs=abc", ["--set train.epochs=abc", "train.epochs", "integer", "abc"]),
        ("train.epoch=3", ["--set train.epoch=3", "unknown key 'train.epoch'", "did you mean 'train.epochs'"]),
        ("optimizer.nme=adam", ["optimizer.nme", "did you mean 'optimizer.name'"]),
        ("optimizer.name=lbfgs", ["optimizer.name", "lbfgs", "sgd"]),
        ("train.epochs", ["train.epochs", "key=value"]),
    ])
    func badOverride(argument: String, mentions: [String]) throws {
        let (result, config) = try train(config: "name: x\n", ["--set", argument])
        expectUserError(result, mentions: [config] + mentions)
    }

    @Test func missingConfigFileListsTheConfigsNearby() throws {
        let dir = try TestDirectory("missing-config")
        defer { dir.remove() }
        try dir.write("name: a\n", to: "fashion-mlp.yaml")
        let result = try SynapseCLI.run(["train", dir.file("fashion-mpl.yaml"), "--run-dir", dir.file("run")])
        expectUserError(result, mentions: [dir.file("fashion-mpl.yaml"), "no such config file", "fashion-mlp.yaml"])
        expectNoRunOutputs(in: dir.file("run"))
    }

    @Test func optimizerKeyOfAnotherOptimizerIsAnError() throws {
        let (result, _) = try train(config: "optimizer:\n  name: sgd\n  betas: [0.9, 0.99]\n")
        expectUserError(result, mentions: ["optimizer.betas"])
    }
}
