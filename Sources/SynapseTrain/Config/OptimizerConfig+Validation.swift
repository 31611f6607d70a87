extension OptimizerConfig {
    /// The hyperparameters each optimizer reads besides `lr`, `weight_decay`, `l1` and `l2`
    /// (which all of them read).
    static func specificKeys(of name: Name) -> Set<CodingKeys> {
        switch name {
        case .sgd: [.momentum, .dampening, .nesterov]
        case .adam, .adamw: [.betas, .eps]
        case .rmsprop: [.alpha, .eps, .momentum, .centered]
        case .adagrad: [.lrDecay, .eps]
        }
    }

    /// Checks ranges (PyTorch's checks plus a few that catch silent no-ops), the Nesterov rule,
    /// and that no hyperparameter of another optimizer was set; `path` is where this section sits.
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        func key(_ k: CodingKeys) -> ConfigKeyPath { path.appending(k.rawValue) }

        try require(lr > 0, key(.lr),
                    "must be greater than 0, got \(lr); typical values are 0.01–0.1 for sgd and 0.001 for adam")
        try require(momentum >= 0, key(.momentum), "must be 0 or more, got \(momentum); e.g. momentum: 0.9")
        try require(dampening >= 0 && dampening <= 1, key(.dampening), "must be in [0, 1], got \(dampening)")
        try require(weightDecay >= 0, key(.weightDecay),
                    "must be 0 or more, got \(weightDecay); e.g. weight_decay: 5.0e-4")
        try require(weightDecayOn == .all || weightDecay > 0, key(.weightDecayOn),
                    "chooses which parameters weight_decay shrinks, but weight_decay is 0; set weight_decay (e.g. 0.1) or remove weight_decay_on")
        try require(betas.count == 2, key(.betas),
                    "needs exactly two values [beta1, beta2], got \(betas.count); e.g. betas: [0.9, 0.999]")
        for (i, beta) in betas.enumerated() {
            try require(beta >= 0 && beta < 1, key(.betas).appending(index: i),
                        "must be in [0, 1), got \(beta); e.g. betas: [0.9, 0.999]")
        }
        try require(eps > 0, key(.eps), "must be greater than 0, got \(eps); e.g. eps: 1e-8")
        try require(alpha >= 0 && alpha < 1, key(.alpha), "must be in [0, 1), got \(alpha); e.g. alpha: 0.99")
        try require(lrDecay >= 0, key(.lrDecay), "must be 0 or more, got \(lrDecay)")
        try require(l1 >= 0, key(.l1), "must be 0 or more, got \(l1)")
        try require(l2 >= 0, key(.l2), "must be 0 or more, got \(l2)")
        if nesterov {
            // PyTorch: "Nesterov momentum requires a momentum and zero dampening".
            try require(momentum > 0, key(.nesterov), "nesterov: true needs momentum > 0; e.g. momentum: 0.9")
            try require(dampening == 0, key(.dampening), "must be 0 when nesterov is true, got \(dampening)")
        }
        try rejectForeignHyperparameters(at: path)
    }

    /// A set value that the chosen optimizer would ignore is a mistake worth stopping for.
    private func rejectForeignHyperparameters(at path: ConfigKeyPath) throws(ConfigError) {
        let defaults = OptimizerConfig(name: name)
        let changed: [(CodingKeys, Bool)] = [
            (.momentum, momentum != defaults.momentum),
            (.dampening, dampening != defaults.dampening),
            (.nesterov, nesterov != defaults.nesterov),
            (.betas, betas != defaults.betas),
            (.eps, eps != defaults.eps),
            (.alpha, alpha != defaults.alpha),
            (.centered, centered != defaults.centered),
            (.lrDecay, lrDecay != defaults.lrDecay),
        ]
        let used = Self.specificKeys(of: name)
        for (field, isSet) in changed where isSet && !used.contains(field) {
            let users = Name.allCases.filter { Self.specificKeys(of: $0).contains(field) }.map(\.rawValue)
            throw ConfigError(.invalidValue, at: path.appending(field.rawValue),
                              "\(path.appending(field.rawValue)): \(name.rawValue) does not use \(field.rawValue) "
                              + "(only \(users.joined(separator: ", ")) do); remove the key or change optimizer.name")
        }
    }
}
