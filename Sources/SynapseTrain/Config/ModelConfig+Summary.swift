extension ModelConfig {
    /// The architecture in one short line, as `synapse bench` and `synapse inspect` print it:
    /// "mlp 784-256-128-10", "cnn conv [32, 64] k5 bn fc []", "cnn conv [32, 64]×2 k3 bn fc [256]".
    /// - Parameter inputFeatures: the flattened image size an MLP reads (784 for (Fashion-)MNIST,
    ///   3072 for CIFAR-10); the classes are 10 for every supported dataset.
    public func summary(inputFeatures: Int = 784) -> String {
        switch kind {
        case .mlp:
            return "mlp \(inputFeatures)-" + hidden.map(String.init).joined(separator: "-") + "-10"
        case .cnn:
            let perBlock = convsPerBlock > 1 ? "×\(convsPerBlock)" : ""
            return "cnn conv \(conv)\(perBlock) k\(kernelSize)\(batchNorm ? " bn" : "") fc \(hidden)"
        case .lstm, .gru, .rnn:
            return "\(kind.rawValue) \(layers)×\(hiddenSize) embedding \(embedding)"
        case .transformer:
            return "transformer \(layers)×\(width) heads \(heads) context \(context)\(tieEmbeddings ? " tied" : "")"
        }
    }
}
