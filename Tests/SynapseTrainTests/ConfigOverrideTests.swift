import Testing
@testable import SynapseTrain

@Suite struct ConfigOverrideTests {
    static let base = """
        name: base
        model:
          hidden: [64]
        train:
          epochs: 10
        optimizer:
          name: sgd
          lr: 0.05
        """

    private func load(_ overrides: String...) throws -> Config {
        try ConfigLoader.parse(yaml: Self.base, source: "base.yaml", overrides: overrides)
    }

    @Test func integerFloatBoolAndText() throws {
        let config = try load("train.epochs=3", "optimizer.lr=0.1", "data.normalize=false", "name=sweep-1")
        #expect(config.train.epochs == 3)
        #expect(config.optimizer.lr == 0.1)
        #expect(config.data.normalize == false)
        #expect(config.name == "sweep-1")
    }

    @Test func listValue() throws {
        #expect(try load("model.hidden=[512,256]").model.hidden == [512, 256])
        #expect(try load("model.hidden=[]").model.hidden == [])
        #expect(try load("model.hidden=[ 32 ]").model.hidden == [32])
    }

    @Test func fineTuningKeysFromTheCommandLine() throws {
        let config = try load("model.init_from=runs/pretrained/checkpoints/step-00000900", "model.init_skip=[fc2]",
                              "train.freeze=[fc1]")
        #expect(config.model.initFrom == "runs/pretrained/checkpoints/step-00000900")
        #expect(config.model.initSkip == ["fc2"] && config.train.freeze == ["fc1"])
        #expect(try load("train.freeze=[]").train.freeze.isEmpty)
        #expect(throws: ConfigError.self) { try load("train.freeze=fc1") }   // a list, not one name
    }

    @Test func nestedKeysCreateMissingSections() throws {
        let config = try load("train.early_stopping.patience=4", "train.early_stopping.metric=val_accuracy")
        #expect(config.train.earlyStopping.patience == 4)
        #expect(config.train.earlyStopping.metric == .valAccuracy)
        #expect(config.train.epochs == 10)  // the rest of the section is kept
    }

    @Test func wholeSectionAsFlowMapping() throws {
        let config = try load("train.early_stopping={patience: 2, min_delta: 0.01}")
        #expect(config.train.earlyStopping.patience == 2)
        #expect(config.train.earlyStopping.minDelta == 0.01)
    }

    @Test func laterOverridesWin() throws {
        #expect(try load("train.epochs=3", "train.epochs=5").train.epochs == 5)
    }

    @Test func valueMayContainEquals() throws {
        #expect(try load("name=a=b").name == "a=b")
    }

    @Test func switchingOptimizerResolvesItsDefaults() throws {
        let config = try ConfigLoader.parse(yaml: "optimizer: {name: sgd}", overrides: ["optimizer.name=adamw"])
        #expect(config.optimizer.weightDecay == 0.01)
        #expect(config.optimizer.lr == 0.001)
    }

    @Test func overridesAreValidatedLikeTheFile() {
        let error = #expect(throws: ConfigError.self) {
            try load("train.batch_size=0")
        }
        #expect(error?.kind == .invalidValue)
        #expect(error?.key == "train.batch_size")
        #expect(error?.override == "train.batch_size=0")
        #expect(error?.description.contains("base.yaml") == true)
        #expect(error?.description.contains("--set train.batch_size=0") == true)
    }

    @Test func unknownOverrideKeyNamesTheKeyAndListsItsSection() {
        let error = #expect(throws: ConfigError.self) {
            try load("train.epoch=3")
        }
        #expect(error?.kind == .unknownKey)
        #expect(error?.override == "train.epoch=3")
        let text = error?.description ?? ""
        #expect(text.contains("'train.epoch'"))
        #expect(text.contains("did you mean 'train.epochs'"))
        #expect(text.contains("valid keys in 'train': epochs, max_steps, max_minutes, batch_size"))
    }

    @Test func wrongTypeInOverride() {
        let error = #expect(throws: ConfigError.self) {
            try load("train.epochs=three")
        }
        #expect(error?.kind == .wrongType)
        #expect(error?.description.contains("train.epochs: expected an integer, got 'three'") == true)
    }

    @Test(arguments: [
        ("train.epochs", "expected key=value"),
        ("=3", "not a dotted key"),
        ("train..epochs=3", "not a dotted key"),
        ("train.epochs=", "missing value"),
        ("model.hidden=[1, 2", "not valid YAML"),
        ("name.first=x", "not a section"),
        ("model.hidden.0=5", "'model.hidden' holds a list of 1 item, not a section"),
        ("train.epochs.max=5", "'train.epochs' holds '10', not a section"),
    ])
    func malformedOverrides(argument: String, expected: String) {
        let error = #expect(throws: ConfigError.self) {
            try load(argument)
        }
        #expect(error?.kind == .badOverride)
        #expect(error?.override == argument)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("base.yaml") == true)
    }
}
