import SynapseNN

/// The network to build: the `model:` section.
///
/// `kind` picks the architecture family (`mlp`, `cnn`): `hidden` lists the widths of the hidden
/// layers; input and output widths come from the dataset (784 → … → 10 for (Fashion-)MNIST). A
/// new family adds a `Kind` case, its own fields here, and a branch in `validate(at:)` that
/// checks the fields that kind uses.
///
/// `init_from` starts a new run from a trained model instead of random weights (transfer
/// learning; see `PretrainedWeights` for which tensors are copied), and `init_skip` keeps
/// chosen layers at their fresh initialization even where the checkpoint has them.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Architecture family.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Multilayer perceptron: Linear → activation (→ dropout) per hidden layer, then Linear.
        case mlp
        /// Convolutional network: conv blocks (conv → [batch norm] → activation → [residual
        /// blocks] → pool), then flatten and fully connected layers of widths `hidden`.
        case cnn
        /// Long short-term memory network (PyTorch `nn.LSTM`): on text, embedding → `layers`
        /// LSTM layers of `hidden_size` → a linear head at every position; on images, each image
        /// read row by row as a sequence, the last hidden state → linear classifier.
        case lstm
        /// Gated recurrent unit network (PyTorch `nn.GRU`), built like `lstm`.
        case gru
        /// Plain (Elman) recurrent network with tanh (PyTorch `nn.RNN`), built like `lstm`.
        case rnn

        /// Whether the model reads images [N, C, H, W] rather than flat rows [N, features].
        public var takesImages: Bool { self != .mlp }
        /// Whether the model is a recurrent network (lstm, gru, rnn).
        public var isRecurrent: Bool { self == .lstm || self == .gru || self == .rnn }
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
    /// cnn: output channels of each conv block (`conv`). Default `[32, 64]`.
    public var conv: [Int]
    /// cnn: square kernel size of every conv layer, padded to keep the size (`kernel_size`). Default 3.
    public var kernelSize: Int
    /// cnn: conv layers per block, each conv → [batch norm] → activation, before the block's
    /// pooling (`convs_per_block`; 2 gives VGG-style blocks). Default 1.
    public var convsPerBlock: Int
    /// cnn: batch norm after every conv layer (`batch_norm`). Default false.
    public var batchNorm: Bool
    /// cnn: batch statistics over the GLOBAL batch across ranks (SyncBatchNorm) (`sync_batchnorm`).
    /// Default false: each rank normalizes with its own shard's statistics, as PyTorch DDP does,
    /// which makes results depend on the number of ranks.
    public var syncBatchNorm: Bool
    /// cnn: residual blocks (conv-bn-act-conv-bn + identity, then act) after each conv block (`residual_blocks`). Default 0.
    public var residualBlocks: Int
    /// cnn: pooling after each conv block: max | avg (`pool`). Default max.
    public var pool: Pool
    /// cnn: channel dropout (Dropout2d) after each conv block, in [0, 1) (`conv_dropout`). Default 0.
    public var convDropout: Float
    /// A run directory, checkpoint directory or `checkpoints/latest` link written by `synapse
    /// train` whose weights a NEW run starts from (`init_from`): every parameter and batch norm
    /// buffer with the same name and shape is copied, the rest keep their fresh initialization.
    /// A resumed run reads its own checkpoint instead. Default "" = random initialization only.
    public var initFrom: String
    /// lstm/gru/rnn on text: width of the token embedding (`embedding`). Default 64.
    public var embedding: Int
    /// lstm/gru/rnn: width of each recurrent layer's hidden state (`hidden_size`). Default 256.
    public var hiddenSize: Int
    /// lstm/gru/rnn: stacked recurrent layers (`layers`); `dropout` acts between them. Default 2.
    public var layers: Int
    /// Name prefixes (layers such as `fc3`, or single tensors such as `fc3.bias`) that keep their
    /// fresh initialization although `init_from` has them, e.g. a classifier head to retrain
    /// from scratch (`init_skip`). Default none.
    public var initSkip: [String]

    /// True when the run starts from a trained model (`init_from` is set).
    public var startsFromPretrainedWeights: Bool { !initFrom.isEmpty }

    /// Pooling kind of the cnn blocks.
    public enum Pool: String, Codable, CaseIterable, Sendable {
        /// 2×2 max pooling.
        case max
        /// 2×2 average pooling.
        case avg
    }

    /// A model section; every argument defaults to the value documented on its property.
    public init(kind: Kind = .mlp, hidden: [Int] = [256, 128], activation: Activation = .relu,
                dropout: Float = 0, initializer: Initializer = .pytorchDefault, conv: [Int] = [32, 64],
                kernelSize: Int = 3, convsPerBlock: Int = 1, batchNorm: Bool = false, syncBatchNorm: Bool = false, residualBlocks: Int = 0,
                pool: Pool = .max, convDropout: Float = 0, embedding: Int = 64, hiddenSize: Int = 256, layers: Int = 2,
                initFrom: String = "", initSkip: [String] = []) {
        self.kind = kind
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.initializer = initializer
        self.conv = conv
        self.kernelSize = kernelSize
        self.convsPerBlock = convsPerBlock
        self.batchNorm = batchNorm
        self.syncBatchNorm = syncBatchNorm
        self.residualBlocks = residualBlocks
        self.pool = pool
        self.convDropout = convDropout
        self.embedding = embedding
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.initFrom = initFrom
        self.initSkip = initSkip
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, hidden, activation, dropout
        case initializer = "init"
        case conv
        case kernelSize = "kernel_size"
        case convsPerBlock = "convs_per_block"
        case batchNorm = "batch_norm"
        case syncBatchNorm = "sync_batchnorm"
        case residualBlocks = "residual_blocks"
        case pool
        case convDropout = "conv_dropout"
        case embedding
        case hiddenSize = "hidden_size"
        case layers
        case initFrom = "init_from"
        case initSkip = "init_skip"
    }

    /// Decodes the section; absent keys take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfig()
        self.init(kind: try c.decode(.kind, or: d.kind),
                  hidden: try c.decode(.hidden, or: d.hidden),
                  activation: try c.decode(.activation, or: d.activation),
                  dropout: try c.decode(.dropout, or: d.dropout),
                  initializer: try c.decode(.initializer, or: d.initializer),
                  conv: try c.decode(.conv, or: d.conv),
                  kernelSize: try c.decode(.kernelSize, or: d.kernelSize),
                  convsPerBlock: try c.decode(.convsPerBlock, or: d.convsPerBlock),
                  batchNorm: try c.decode(.batchNorm, or: d.batchNorm),
                  syncBatchNorm: try c.decode(.syncBatchNorm, or: d.syncBatchNorm),
                  residualBlocks: try c.decode(.residualBlocks, or: d.residualBlocks),
                  pool: try c.decode(.pool, or: d.pool),
                  convDropout: try c.decode(.convDropout, or: d.convDropout),
                  embedding: try c.decode(.embedding, or: d.embedding),
                  hiddenSize: try c.decode(.hiddenSize, or: d.hiddenSize),
                  layers: try c.decode(.layers, or: d.layers),
                  initFrom: try c.decode(.initFrom, or: d.initFrom),
                  initSkip: try c.decode(.initSkip, or: d.initSkip))
    }

    /// Checks value ranges; `path` is where this section sits (`model`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        for (i, width) in hidden.enumerated() {
            try require(width >= 1, path.appending("hidden").appending(index: i),
                        "every hidden layer needs at least 1 unit, got \(width); e.g. hidden: [256, 128]")
        }
        if kind == .cnn {
            try require(!conv.isEmpty, path.appending("conv"), "a cnn needs at least one conv block, e.g. conv: [32, 64]")
            for (i, channels) in conv.enumerated() {
                try require(channels >= 1, path.appending("conv").appending(index: i),
                            "every conv block needs at least 1 channel, got \(channels); e.g. conv: [32, 64]")
            }
            try require(kernelSize >= 1 && kernelSize % 2 == 1, path.appending("kernel_size"),
                        "must be an odd size ≥ 1 (padding keeps the image size), got \(kernelSize); e.g. kernel_size: 3")
            try require(convsPerBlock >= 1, path.appending("convs_per_block"),
                        "every block needs at least 1 conv layer, got \(convsPerBlock); e.g. convs_per_block: 2")
            try require(residualBlocks >= 0, path.appending("residual_blocks"), "must be 0 or more, got \(residualBlocks)")
            try require(convDropout >= 0 && convDropout < 1, path.appending("conv_dropout"),
                        "must be in [0, 1), got \(convDropout)")
            try require(!syncBatchNorm || batchNorm, path.appending("sync_batchnorm"),
                        "needs batch_norm: true (there are no batch statistics to synchronize)")
        }
        if kind.isRecurrent {
            try require(embedding >= 1, path.appending("embedding"), "must be at least 1, got \(embedding); e.g. embedding: 64")
            try require(hiddenSize >= 1, path.appending("hidden_size"), "must be at least 1, got \(hiddenSize); e.g. hidden_size: 256")
            try require(layers >= 1, path.appending("layers"), "a \(kind.rawValue) needs at least 1 layer, got \(layers); e.g. layers: 2")
        }
        try require(dropout >= 0 && dropout < 1, path.appending("dropout"),
                    "must be in [0, 1) (the probability of dropping a unit), got \(dropout); use 0 to turn dropout off")
        try validateNamePrefixes(initSkip, at: path.appending("init_skip"))
        try require(initSkip.isEmpty || startsFromPretrainedWeights, path.appending("init_skip"),
                    "lists layers to keep out of init_from, but init_from is not set; set model.init_from or remove init_skip")
    }
}
