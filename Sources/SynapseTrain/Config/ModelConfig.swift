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
        /// GPT-style decoder-only Transformer language model (text only): token + position
        /// embeddings, `layers` pre-norm blocks of causal multi-head self-attention and a 4× MLP,
        /// a final LayerNorm and an output layer (tied to the token embedding by default).
        case transformer

        /// Whether the model reads images [N, C, H, W] rather than flat rows [N, features].
        public var takesImages: Bool { self != .mlp && self != .transformer }
        /// Whether the model is a recurrent network (lstm, gru, rnn).
        public var isRecurrent: Bool { self == .lstm || self == .gru || self == .rnn }
        /// Whether the model reads token ids (the recurrent networks on text, the Transformer).
        public var readsText: Bool { isRecurrent || self == .transformer }
        /// Whether each fully connected layer of the model sees one row per sample (mlp, cnn),
        /// which `train.gradient_exchange` needs to size the factors it exchanges.
        public var feedsOneRowPerSample: Bool { self == .mlp || self == .cnn }
    }

    /// Nonlinearity after each hidden layer (PyTorch `nn.ReLU`, `nn.Sigmoid`, `nn.Tanh`,
    /// `nn.LeakyReLU` with slope 0.01, `nn.GELU` exact erf form, `nn.GELU(approximate='tanh')`
    /// GPT-2's tanh approximation).
    public enum Activation: String, Codable, CaseIterable, Sendable {
        case relu
        case sigmoid
        case tanh
        case leakyRelu = "leaky_relu"
        case gelu
        case geluTanh = "gelu_tanh"
    }

    /// Architecture family (`kind`). Default `mlp`.
    public var kind = Kind.mlp
    /// Hidden layer widths, input side first (`hidden`). Default `[256, 128]`; `[]` is logistic regression.
    public var hidden = [256, 128]
    /// Nonlinearity between layers (`activation`). Default `relu`.
    public var activation = Activation.relu
    /// Probability of zeroing a hidden activation during training, in [0, 1) (`dropout`). Default 0.
    public var dropout: Float = 0
    /// Weight initialization scheme (`init`). Default `default` (PyTorch's Linear default).
    public var initializer = Initializer.pytorchDefault
    /// cnn: output channels of each conv block (`conv`). Default `[32, 64]`.
    public var conv = [32, 64]
    /// cnn: square kernel size of every conv layer, padded to keep the size (`kernel_size`). Default 3.
    public var kernelSize = 3
    /// cnn: conv layers per block, each conv → [batch norm] → activation, before the block's
    /// pooling (`convs_per_block`; 2 gives VGG-style blocks). Default 1.
    public var convsPerBlock = 1
    /// cnn: batch norm after every conv layer (`batch_norm`). Default false.
    public var batchNorm = false
    /// cnn: batch statistics over the GLOBAL batch across ranks (SyncBatchNorm) (`sync_batchnorm`).
    /// Default false: each rank normalizes with its own shard's statistics, as PyTorch DDP does,
    /// which makes results depend on the number of ranks.
    public var syncBatchNorm = false
    /// cnn: residual blocks (conv-bn-act-conv-bn + identity, then act) after each conv block (`residual_blocks`). Default 0.
    public var residualBlocks = 0
    /// cnn: pooling after each conv block: max | avg (`pool`). Default max.
    public var pool = Pool.max
    /// cnn: channel dropout (Dropout2d) after each conv block, in [0, 1) (`conv_dropout`). Default 0.
    public var convDropout: Float = 0
    /// lstm/gru/rnn on text: width of the token embedding (`embedding`). Default 64.
    public var embedding = 64
    /// lstm/gru/rnn: width of each recurrent layer's hidden state (`hidden_size`). Default 256.
    public var hiddenSize = 256
    /// lstm/gru/rnn: stacked recurrent layers; transformer: blocks (`layers`). `dropout` acts
    /// between recurrent layers, and on a Transformer's embeddings and residual branches. Default 2.
    public var layers = 2
    /// transformer: width C of the token vectors and the residual stream (`width`). Default 128.
    public var width = 128
    /// transformer: attention heads per block, each reading width/heads dimensions (`heads`). Default 4.
    public var heads = 4
    /// transformer: the longest sequence the model reads, the length of its position table
    /// (`context`); data.context (the training windows) must not exceed it. Default 64.
    public var context = 64
    /// transformer: position vectors, learned | sinusoidal (`positions`). Default learned.
    public var positions = Positions.learned
    /// transformer: the output layer reuses the token embedding table, transposed
    /// (`tie_embeddings`). Default true.
    public var tieEmbeddings = true
    /// A run directory, checkpoint directory or `checkpoints/latest` link written by `synapse
    /// train` whose weights a NEW run starts from (`init_from`): every parameter and batch norm
    /// buffer with the same name and shape is copied, the rest keep their fresh initialization.
    /// A resumed run reads its own checkpoint instead. Default "" = random initialization only.
    public var initFrom = ""
    /// Name prefixes (layers such as `fc3`, or single tensors such as `fc3.bias`) that keep their
    /// fresh initialization although `init_from` has them, e.g. a classifier head to retrain
    /// from scratch (`init_skip`). Default none.
    public var initSkip: [String] = []

    /// True when the run starts from a trained model (`init_from` is set).
    public var startsFromPretrainedWeights: Bool { !initFrom.isEmpty }

    /// How a Transformer tells positions apart.
    public enum Positions: String, Codable, CaseIterable, Sendable {
        /// A trained table of vectors (GPT-2).
        case learned
        /// Fixed sines and cosines (Vaswani et al. 2017).
        case sinusoidal
    }

    /// Pooling kind of the cnn blocks.
    public enum Pool: String, Codable, CaseIterable, Sendable {
        /// 2×2 max pooling.
        case max
        /// 2×2 average pooling.
        case avg
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
        case layers, width, heads, context, positions
        case tieEmbeddings = "tie_embeddings"
        case initFrom = "init_from"
        case initSkip = "init_skip"
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
        if kind == .transformer {
            try require(width >= 1, path.appending("width"), "must be at least 1, got \(width); e.g. width: 128")
            try require(layers >= 1, path.appending("layers"), "a transformer needs at least 1 block, got \(layers); e.g. layers: 4")
            try require(heads >= 1 && width % heads == 0, path.appending("heads"),
                        "must be at least 1 and divide width \(width) (each head reads width/heads dimensions), got \(heads); e.g. heads: 4")
            try require(context >= 1, path.appending("context"), "must be at least 1 token, got \(context); e.g. context: 64")
        }
        try require(dropout >= 0 && dropout < 1, path.appending("dropout"),
                    "must be in [0, 1) (the probability of dropping a unit), got \(dropout); use 0 to turn dropout off")
        try validateNamePrefixes(initSkip, at: path.appending("init_skip"))
        try require(initSkip.isEmpty || startsFromPretrainedWeights, path.appending("init_skip"),
                    "lists layers to keep out of init_from, but init_from is not set; set model.init_from or remove init_skip")
    }
}
