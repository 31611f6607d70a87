import SynapseCore
import SynapseNN

/// Builds the network a config describes.
///
/// Layers are named like a hand-written PyTorch model (`fc1`, `act1`, `drop1`, `conv1`, `bn1`,
/// `pool1`, ...), so checkpoint tensors read `fc1.weight`, `conv1.bias`, `bn1.running_mean`
/// and stay stable across versions.
public enum ModelFactory {
    /// The model a `model:` config section describes, for samples of `inputShape`
    /// ([C, H, W] images, or [features]; `[]` for token ids of a vocabulary of `outputSize`)
    /// and `outputSize` classes, initialized from `rng`.
    public static func build(config: ModelConfig, inputShape: [Int], outputSize: Int,
                             rng: inout RandomGenerator) throws -> Module {
        // A width near Int.max would trap while a layer multiplies out its shape.
        try MemoryEstimate.requireCountable(config, inputShape: inputShape, classCount: outputSize)
        switch config.kind {
        case .mlp:
            return try mlp(inputSize: inputShape.reduce(1, *), hidden: config.hidden, outputSize: outputSize,
                           activation: config.activation.rawValue, dropout: config.dropout,
                           initializer: config.initializer, rng: &rng)
        case .cnn:
            guard inputShape.count == 3 else {
                throw UserError("model.kind: cnn needs image data [C, H, W]; the dataset has samples of shape \(inputShape)")
            }
            return try cnn(config: config, inputShape: inputShape, outputSize: outputSize, rng: &rng)
        case .lstm, .gru, .rnn:
            return inputShape.isEmpty
                ? languageModel(config: config, vocabularySize: outputSize, rng: &rng)
                : try sequenceClassifier(config: config, inputShape: inputShape, outputSize: outputSize, rng: &rng)
        case .transformer:
            guard inputShape.isEmpty else {
                throw UserError("model.kind: transformer is a language model over token ids; the dataset has samples of shape \(inputShape)")
            }
            return try transformer(config: config, vocabularySize: outputSize, rng: &rng)
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

    /// A convolutional network: for each entry of `config.conv`, a block of
    /// `convsPerBlock` × (conv(k×k, same padding) → [batch norm] → activation) → [residual blocks] → 2×2 pool →
    /// [Dropout2d] (max pooling runs before the activation when that is the same function:
    /// see `poolsBeforeActivation`); then flatten, dropout, and the fully connected layers of `config.hidden`
    /// (each followed by dropout) and the classifier.
    /// - Shape: [N, C, H, W] → [N, outputSize].
    public static func cnn(config c: ModelConfig, inputShape: [Int], outputSize: Int,
                           rng: inout RandomGenerator) throws -> Sequential {
        var layers: [(String, Module)] = []
        var channels = inputShape[0], H = inputShape[1], W = inputShape[2]
        let act = c.activation.rawValue
        for (i, out) in c.conv.enumerated() {
            let k = i + 1
            guard H >= 2 && W >= 2 else {
                throw UserError("model.conv: \(c.conv.count) conv blocks each halve the image; a \(inputShape[1])×\(inputShape[2]) "
                                + "image is too small for block \(k). Use fewer blocks.")
            }
            for j in 1...c.convsPerBlock {
                let id = convLayerID(block: k, layer: j)
                layers.append(("conv" + id, Conv2d(inChannels: j == 1 ? channels : out, outChannels: out,
                                                   kernelSize: Size2D(c.kernelSize), padding: Size2D(c.kernelSize / 2),
                                                   bias: !c.batchNorm, initializer: c.initializer, rng: &rng)))
                if c.batchNorm { layers.append(("bn" + id, BatchNorm2d(featureCount: out))) }
                if j < c.convsPerBlock { layers.append(("act" + id, try activationLayer(act))) }
            }
            let lastAct = "act" + convLayerID(block: k, layer: c.convsPerBlock)
            let pool = ("pool\(k)", c.pool == .max ? MaxPool2d(kernelSize: 2) as Module : AvgPool2d(kernelSize: 2))
            if poolsBeforeActivation(c) {
                // max(f(a), f(b)) = f(max(a, b)) for a non-decreasing f: pooling first gives the
                // same output and gradients, and applies f to a quarter of the values.
                layers += [pool, (lastAct, try activationLayer(act))]
            } else {
                layers.append((lastAct, try activationLayer(act)))
                for r in 0..<c.residualBlocks {
                    layers.append(("res\(k)_\(r + 1)", try residualBlock(channels: out, config: c, rng: &rng)))
                }
                layers.append(pool)
            }
            if c.convDropout > 0 { layers.append(("cdrop\(k)", Dropout2d(p: c.convDropout))) }
            channels = out; H /= 2; W /= 2
        }
        layers.append(("flatten", Flatten()))
        if c.dropout > 0 { layers.append(("drop0", Dropout(p: c.dropout))) }   // on the flattened features
        let head = try mlp(inputSize: channels * H * W, hidden: c.hidden, outputSize: outputSize, activation: act,
                           dropout: c.dropout, initializer: c.initializer, rng: &rng)
        layers += head.children.map { ($0.name, $0.module) }
        return Sequential(named: layers)
    }

    /// The suffix naming conv layer `layer` (from 1) of block `block` (from 1) and its batch
    /// norm and activation: "1" for the first layer of block 1 (`conv1`, `bn1`, `act1`), "1_2"
    /// for its second (`conv1_2`, ...), so one-conv blocks keep their names.
    public static func convLayerID(block: Int, layer: Int) -> String {
        layer == 1 ? "\(block)" : "\(block)_\(layer)"
    }

    /// Whether a conv block can run its 2×2 max pooling before its activation: max pooling
    /// commutes with every non-decreasing activation (all but GELU), and nothing sits between
    /// them when there are no residual blocks.
    static func poolsBeforeActivation(_ c: ModelConfig) -> Bool {
        c.pool == .max && c.residualBlocks == 0 && c.activation != .gelu
    }

    /// A ResNet basic block at constant width: conv → [bn] → act → conv → [bn], plus the
    /// input, then act (He et al., "Deep Residual Learning", arXiv:1512.03385).
    static func residualBlock(channels: Int, config c: ModelConfig, rng: inout RandomGenerator) throws -> Module {
        var body: [(String, Module)] = []
        for j in 1...2 {
            body.append(("conv\(j)", Conv2d(inChannels: channels, outChannels: channels, kernelSize: Size2D(c.kernelSize),
                                            padding: Size2D(c.kernelSize / 2), bias: !c.batchNorm,
                                            initializer: c.initializer, rng: &rng)))
            if c.batchNorm { body.append(("bn\(j)", BatchNorm2d(featureCount: channels))) }
            if j == 1 { body.append(("act1", try activationLayer(c.activation.rawValue))) }
        }
        return Sequential(named: [("block", Residual(body: Sequential(named: body))),
                                  ("act", try activationLayer(c.activation.rawValue))])
    }

    /// The activation layer called `name` in configs.
    public static func activationLayer(_ name: String) throws -> Module {
        switch name {
        case "relu": return ReLU()
        case "sigmoid": return Sigmoid()
        case "tanh": return Tanh()
        case "leaky_relu": return LeakyReLU()
        case "gelu": return GELU()
        case "gelu_tanh": return GELUTanh()
        default:
            throw UserError("model.activation: unknown activation '\(name)'; use one of relu, sigmoid, tanh, leaky_relu, gelu, gelu_tanh")
        }
    }
}
