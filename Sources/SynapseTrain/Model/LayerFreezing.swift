import SynapseNN

/// `train.freeze`: the parameters that keep their values while the rest of the model trains.
///
/// Each prefix freezes the parameters it selects (`ParameterNamePrefix`): they get no gradient,
/// so the optimizers, weight decay, L1/L2 penalties and gradient clipping, which all work on
/// `ParameterArena.trainableRanges`, leave them bit for bit as they are, and the moving average
/// of the weights (`train.ema_decay`) keeps them too. Layers before the first trainable one
/// need no backward pass at all, which makes fine-tuning a head cheap.
///
/// Batch norm: a layer whose γ and β are both frozen also stops updating its running
/// statistics and normalizes with them even in training mode (`BatchNorm.isFrozen`), as Keras
/// does for a frozen `BatchNormalization` and detectron2's `FrozenBatchNorm2d`. PyTorch keeps
/// updating the statistics of a module whose parameters have `requires_grad = False` unless it
/// is put in eval mode; here a frozen layer is a fixed function, so its features do not drift
/// under the trained layers, and validation sees the same layer as training.
enum LayerFreezing {
    /// What was frozen.
    struct Summary {
        /// Frozen parameter tensors, in model order.
        let parameters: [String]
        /// Frozen parameter elements.
        let count: Int
        /// Batch norm layers that keep their running statistics.
        let batchNormLayers: Int

        /// One line for the console, e.g. `frozen (train.freeze): conv1, bn1 — 3,232 of 83,562 parameters`.
        func description(ofTotal total: Int) -> String {
            var line = "frozen (train.freeze): " + ParameterNamePrefix.layers(of: parameters).joined(separator: ", ")
                + " — \(count) of \(total) parameters"
            if batchNormLayers > 0 {
                line += "; \(batchNormLayers) batch norm layer(s) normalize with their running statistics, which stay as they are"
            }
            return line
        }
    }

    /// Freezes the parameters of `model` that `prefixes` select and the batch norm layers whose
    /// parameters are all frozen. Throws a `UserError` when a prefix selects nothing (listing the
    /// model's layers) or when nothing would be left to train.
    @discardableResult
    static func apply(_ prefixes: [String], to model: Module) throws -> Summary {
        let parameters = model.namedParameters()
        try ParameterNamePrefix.requireMatches(prefixes, key: "train.freeze", in: parameters.map(\.name))
        let matchers = prefixes.map(ParameterNamePrefix.init(text:))
        let frozen = parameters.filter { p in matchers.contains { $0.matches(p.name) } }
        guard frozen.count < parameters.count else {
            throw UserError("train.freeze: [\(prefixes.joined(separator: ", "))] freezes every parameter of the model, so "
                            + "there is nothing to train; leave at least one layer out (usually the last, "
                            + "\(ParameterNamePrefix.layers(of: parameters.map(\.name)).last ?? "fc1"))")
        }
        for prefix in prefixes { model.freeze(prefix: prefix) }
        let batchNormLayers = model.fixFrozenBatchNormLayers()
        return Summary(parameters: frozen.map(\.name), count: frozen.reduce(0) { $0 + $1.tensor.count },
                       batchNormLayers: batchNormLayers)
    }
}
