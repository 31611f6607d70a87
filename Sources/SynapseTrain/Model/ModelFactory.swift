import SynapseCore
import SynapseNN

/// Builds the network a config describes.
///
/// Layers are named like a hand-written PyTorch model (`fc1`, `act1`, `drop1`, `fc2`, ...), so
/// checkpoint tensors read `fc1.weight`, `fc1.bias`, ... and stay stable across versions.
public enum ModelFactory {
    /// The model a `model:` config section describes, for inputs of `inputSize` features and
    /// `outputSize` classes, initialized from `rng`.
    public static func build(config: ModelConfig, inputSize: Int, outputSize: Int,
                             rng: inout RandomGenerator) throws -> Sequential {
        switch config.kind {
        case .mlp:
            return try mlp(inputSize: inputSize, hidden: config.hidden, outputSize: outputSize,
                           activation: config.activation.rawValue, dropout: config.dropout,
                           initializer: config.initializer, rng: &rng)
        }
    }

    /// A multilayer perceptron `inputSize → hidden… → outputSize` with the given activation
    /// after each hidden layer and dropout (when p > 0) after each activation.
    /// Weights are drawn from `rng` (the run's initialization stream).
    public static func mlp(inputSize: Int, hidden: [Int], outputSize: Int, activation: String,
                           dropout p: Float, initializer: Initializer,
                           rng: inout RandomGenerator) throws -> Sequential {
        var layers: [(String, Module)] = []
        var width = inputSize
        for (i, h) in hidden.enumerated() {
            let k = i + 1
            layers.append(("fc\(k)", Linear(inputSize: width, outputSize: h, initializer: initializer, rng: &rng)))
            layers.append(("act\(k)", try activationLayer(activation)))
            if p > 0 { layers.append(("drop\(k)", Dropout(p: p))) }
            width = h
        }
        layers.append(("fc\(hidden.count + 1)", Linear(inputSize: width, outputSize: outputSize,
                                                        initializer: initializer, rng: &rng)))
        return Sequential(named: layers)
    }

    /// The activation layer called `name` in configs.
    public static func activationLayer(_ name: String) throws -> Module {
        switch name {
        case "relu": return ReLU()
        case "sigmoid": return Sigmoid()
        case "tanh": return Tanh()
        case "leaky_relu": return LeakyReLU()
        case "gelu": return GELU()
        default:
            throw UserError("model.activation: unknown activation '\(name)'; use one of relu, sigmoid, tanh, leaky_relu, gelu")
        }
    }
}
