import SynapseNN

/// The network to build: the `model:` section.
///
/// `kind` picks the architecture family. Only `mlp` exists so far: `hidden` lists the widths of
/// the hidden layers; input and output widths come from the dataset (784 → … → 10 for
/// (Fashion-)MNIST). A new family (`cnn`, ...) adds a `Kind` case, its own fields here, and a
/// branch in `validate(at:)` that checks the fields that kind uses.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Architecture family.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Multilayer perceptron: Linear → activation (→ dropout) per hidden layer, then Linear.
        case mlp

        /// Whether the model reads images [N, C, H, W] rather than flat rows [N, features].
        public var takesImages: Bool { self != .mlp }
    }

    /// Nonlinearity after each hidden layer (PyTorch `nn.ReLU`, `nn.Sigmoid`, `nn.Tanh`,
    /// `nn.LeakyReLU` with slope 0.01, `nn.GELU` exact erf form).
    public enum Activation: String, Codable, CaseIterable, Sendable {
        case relu
        case sigmoid
        case tanh
        case leakyRelu = "leaky_relu"
        case gelu
    }

    /// Architecture family (`kind`). Default `mlp`.
    public var kind: Kind
    /// Hidden layer widths, input side first (`hidden`). Default `[256, 128]`; `[]` is logistic regression.
    public var hidden: [Int]
    /// Nonlinearity between layers (`activation`). Default `relu`.
    public var activation: Activation
    /// Probability of zeroing a hidden activation during training, in [0, 1) (`dropout`). Default 0.
    public var dropout: Float
    /// Weight initialization scheme (`init`). Default `default` (PyTorch's Linear default).
    public var initializer: Initializer

    /// A model section; every argument defaults to the value documented on its property.
    public init(kind: Kind = .mlp, hidden: [Int] = [256, 128], activation: Activation = .relu,
                dropout: Float = 0, initializer: Initializer = .pytorchDefault) {
        self.kind = kind
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.initializer = initializer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, hidden, activation, dropout
        case initializer = "init"
    }

    /// Decodes the section; absent keys take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfig()
        self.init(kind: try c.decode(.kind, or: d.kind),
                  hidden: try c.decode(.hidden, or: d.hidden),
                  activation: try c.decode(.activation, or: d.activation),
                  dropout: try c.decode(.dropout, or: d.dropout),
                  initializer: try c.decode(.initializer, or: d.initializer))
    }

    /// Checks value ranges; `path` is where this section sits (`model`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        switch kind {
        case .mlp:
            for (i, width) in hidden.enumerated() {
                try require(width >= 1, path.appending("hidden").appending(index: i),
                            "every hidden layer needs at least 1 unit, got \(width); e.g. hidden: [256, 128]")
            }
        }
        try require(dropout >= 0 && dropout < 1, path.appending("dropout"),
                    "must be in [0, 1) (the probability of dropping a unit), got \(dropout); use 0 to turn dropout off")
    }
}
