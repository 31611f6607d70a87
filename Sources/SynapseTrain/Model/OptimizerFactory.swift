import SynapseCore
import SynapseOptim

extension OptimizerSettingError: UserFacingError {}

/// Builds the optimizer an `optimizer:` config section describes, over a model's arena.
public enum OptimizerFactory {
    /// The configured optimizer (PyTorch defaults for every value the config leaves out).
    public static func make(config c: OptimizerConfig, arena: ParameterArena) throws -> any Optimizer {
        let betas = (c.betas[0], c.betas[1])
        if c.weightDecayOn == .matrices { arena.setWeightDecay { $0.shape.count >= 2 } }
        switch c.name {
        case .sgd:
            return try SGD(arena: arena, learningRate: c.lr, momentum: c.momentum, dampening: c.dampening,
                           weightDecay: c.weightDecay, nesterov: c.nesterov)
        case .adam:
            return try Adam(arena: arena, learningRate: c.lr, betas: betas, epsilon: c.eps, weightDecay: c.weightDecay)
        case .adamw:
            return try AdamW(arena: arena, learningRate: c.lr, betas: betas, epsilon: c.eps, weightDecay: c.weightDecay)
        case .rmsprop:
            return try RMSprop(arena: arena, learningRate: c.lr, alpha: c.alpha, epsilon: c.eps,
                               weightDecay: c.weightDecay, momentum: c.momentum, centered: c.centered)
        case .adagrad:
            return try Adagrad(arena: arena, learningRate: c.lr, lrDecay: c.lrDecay, weightDecay: c.weightDecay,
                               epsilon: c.eps)
        }
    }
}
