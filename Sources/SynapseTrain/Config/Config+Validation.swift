extension Config {
    /// Checks every value range and cross-key rule; throws the first problem found.
    ///
    /// `ConfigLoader` calls this after decoding and adds the file name and line to the error.
    /// Call it yourself on a config built in code; its errors then name the source `<config>`.
    public func validate() throws(ConfigError) {
        try require(!name.isEmpty && !name.contains("/") && name != "." && name != "..",
                    ConfigKeyPath("name"),
                    "'\(name)' cannot name a run directory (runs/<name>); use letters, digits, '-' or '_'")
        try model.validate(at: ConfigKeyPath("model"))
        try data.validate(at: ConfigKeyPath("data"))
        try train.validate(at: ConfigKeyPath("train"))
        try optimizer.validate(at: ConfigKeyPath("optimizer"))
        if model.kind == .transformer {
            try require(data.dataset == .text, ConfigKeyPath("model", "kind"),
                        "a transformer here is a language model: it needs data.dataset: text, not \(data.dataset.rawValue)")
        }
        if data.dataset == .text {
            try validateText()
        } else if train.earlyStopping.isEnabled {
            try require(data.validationSize > 0, ConfigKeyPath("train", "early_stopping", "patience"),
                        "early stopping watches validation metrics, but data.validation_size is 0; "
                        + "set data.validation_size (e.g. 5000) or patience: 0")
        }
        try require(train.gradientExchange != .factors || model.kind.feedsOneRowPerSample, ConfigKeyPath("train", "gradient_exchange"),
                    "factors applies to mlp and cnn models (each fully connected layer sees one row per sample), "
                    + "but model.kind is \(model.kind.rawValue); use auto or allreduce")
        if train.distillation.isEnabled {
            try require(data.augment == AugmentConfig(), ConfigKeyPath("train", "distillation", "teachers"),
                        "the teachers' predictions are computed once on the training images as they are, "
                        + "so they do not match augmented images; remove data.augment or distillation")
        }
        if train.schedule.name == .plateau && data.dataset != .text {
            try require(data.validationSize > 0, ConfigKeyPath("train", "schedule", "name"),
                        "the plateau schedule watches the validation loss, but data.validation_size is 0; "
                        + "set data.validation_size (e.g. 5000) or use another schedule")
        }
    }
}

extension Config {
    /// The cross-key rules of a language model on text (`data.dataset: text`).
    func validateText() throws(ConfigError) {
        try require(model.kind.readsText, ConfigKeyPath("model", "kind"),
                    "\(model.kind.rawValue) cannot read text; a language model on data.dataset text needs kind transformer, lstm, gru or rnn")
        if model.kind == .transformer {
            try require(data.context <= model.context, ConfigKeyPath("data", "context"),
                        "windows of \(data.context) tokens are longer than the model's context (model.context: \(model.context), "
                        + "the positions it has vectors for); raise model.context or lower data.context")
        }
        try require(data.augment == AugmentConfig(), ConfigKeyPath("data", "augment"),
                    "augments images; remove it for data.dataset text")
        try require(!train.distillation.isEnabled, ConfigKeyPath("train", "distillation", "teachers"),
                    "distillation is for image classifiers; remove it for data.dataset text")
        for (key, needed) in [(["train", "early_stopping", "patience"], train.earlyStopping.isEnabled),
                              (["train", "schedule", "name"], train.schedule.name == .plateau)] where needed {
            try require(data.validationFraction > 0, ConfigKeyPath(components: key.map { .key($0) }),
                        "watches the validation loss, but data.validation_fraction is 0; set it (e.g. 0.1)")
        }
    }
}

/// Throws an invalid-value error at `path` unless `condition` holds.
/// - Parameter message: what the value must be, the bad value and a fix; the dotted key is prepended.
func require(_ condition: Bool, _ path: ConfigKeyPath, _ message: @autoclosure () -> String) throws(ConfigError) {
    if !condition {
        throw ConfigError(.invalidValue, at: path, "\(path): \(message())")
    }
}

/// Checks a list of parameter-name prefixes (`train.freeze`, `model.init_skip`): each must be a
/// dotted name as in model.safetensors (`conv1`, `fc2.weight`). Whether it names a layer of the
/// model is checked when the model is built (`ParameterNamePrefix`).
func validateNamePrefixes(_ prefixes: [String], at path: ConfigKeyPath) throws(ConfigError) {
    for (i, prefix) in prefixes.enumerated() {
        let components = prefix.split(separator: ".", omittingEmptySubsequences: false)
        try require(!prefix.isEmpty && components.allSatisfy { !$0.isEmpty && !$0.contains(where: \.isWhitespace) },
                    path.appending(index: i),
                    "'\(prefix)' is not a layer or parameter name; write names as in model.safetensors, e.g. conv1 or fc2.weight")
    }
}
