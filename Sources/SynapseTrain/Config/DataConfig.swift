import SynapseData

/// Where the data comes from and how it is split: the `data:` section.
public struct DataConfig: Codable, Equatable, Sendable {
    /// The datasets the trainer can read (both are IDX files: 28×28 grey images, 10 classes).
    public enum Dataset: String, Codable, CaseIterable, Sendable {
        /// Zalando's Fashion-MNIST (Debian package dataset-fashion-mnist).
        case fashionMNIST = "fashion-mnist"
        /// LeCun's handwritten digits, same file format.
        case mnist
        /// CIFAR-10 in its binary format (not packaged by Debian; see `CIFAR10`).
        case cifar10
        /// A UTF-8 text for language models: a file, a directory of files, or by default the
        /// Debian package `fortunes` (see `TextCorpus`).
        case text

        /// Where Debian (or a user following its layout) puts the files.
        public var defaultPath: String {
            switch self {
            case .fashionMNIST: "/usr/share/datasets/fashion-mnist"
            case .mnist: "/usr/share/datasets/mnist"
            case .cifar10: "data/cifar-10-batches-bin"
            case .text: "/usr/share/games/fortunes"
            }
        }
    }

    /// Which dataset (`dataset`). Default `fashion-mnist`.
    public var dataset: Dataset
    /// Directory holding the IDX files (`path`). Default: `dataset.defaultPath`
    /// (`/usr/share/datasets/fashion-mnist`), so choosing `mnist` never reads Fashion-MNIST files.
    public var path: String
    /// Training samples held out for validation (`validation_size`). Default 5000; 0 means no
    /// validation split.
    public var validationSize = 5000
    /// Scale pixels to [0, 1] and standardize with the training mean and deviation (`normalize`). Default true.
    public var normalize = true
    /// Use only the first N training samples, 0 = all (`train_subset`); for quick runs and tests.
    public var trainSubset = 0
    /// Use only the first N test samples, 0 = all (`test_subset`).
    public var testSubset = 0
    /// Random transformations of training images (`augment`). Default none.
    public var augment = AugmentConfig()
    /// text: the fraction of the text, at its end, held out for validation
    /// (`validation_fraction`). Default 0.1, as the PyTorch peer.
    public var validationFraction = 0.1
    /// text: characters per training window, the sequence length of the model (`context`). Default 64.
    public var context = 64
    /// text: how text becomes token ids (`tokenizer`): `char`, one token per Unicode character,
    /// or `bpe`, byte-level byte pairs learned from the training text. Default `char`.
    public var tokenizer = Tokenizer.char
    /// text with `tokenizer: bpe`: the vocabulary size, 256 byte values plus the merges learned
    /// (`vocab_size`). Default 512 with `bpe`; 0 (unused: the vocabulary is the corpus's
    /// characters) with `char`.
    public var vocabSize: Int

    /// How text is cut into tokens.
    public enum Tokenizer: String, Codable, CaseIterable, Sendable {
        /// One token per Unicode scalar; the vocabulary is the corpus's characters.
        case char
        /// Byte-level byte-pair encoding (`BytePairTokenizer`), `vocab_size` tokens.
        case bpe

        /// `vocab_size` when the config does not set it: 512 for `bpe`, 0 (unused) for `char`.
        public var defaultVocabularySize: Int { self == .bpe ? 512 : 0 }
    }

    /// The defaults for `dataset` and `tokenizer`: `path` is where that dataset's files lie by
    /// default (`Dataset.defaultPath`), `vocab_size` follows the tokenizer; every other key
    /// takes the value documented on its property.
    public init(dataset: Dataset = .fashionMNIST, tokenizer: Tokenizer = .char) {
        self.dataset = dataset
        path = dataset.defaultPath
        self.tokenizer = tokenizer
        vocabSize = tokenizer.defaultVocabularySize
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, path
        case validationSize = "validation_size"
        case normalize
        case trainSubset = "train_subset"
        case testSubset = "test_subset"
        case augment
        case validationFraction = "validation_fraction"
        case context, tokenizer
        case vocabSize = "vocab_size"
    }

    /// Checks value ranges; `path` is where this section sits (`data`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(!self.path.isEmpty, path.appending("path"),
                    "must name the directory with the dataset files, e.g. \(dataset.defaultPath)")
        try require(validationSize >= 0, path.appending("validation_size"),
                    "must be 0 or more, got \(validationSize); use 0 for no validation split")
        try require(trainSubset >= 0, path.appending("train_subset"),
                    "must be 0 (all samples) or a positive count, got \(trainSubset)")
        try require(testSubset >= 0, path.appending("test_subset"),
                    "must be 0 (all samples) or a positive count, got \(testSubset)")
        try require(augment.randomErasing >= 0 && augment.randomErasing <= 1,
                    path.appending("augment").appending("random_erasing"),
                    "must be a probability in [0, 1], got \(augment.randomErasing); e.g. random_erasing: 0.5")
        try require(augment.cropPadding >= 0, path.appending("augment").appending("crop_padding"),
                    "must be 0 (off) or a number of pixels, got \(augment.cropPadding); e.g. crop_padding: 2")
        try require(validationFraction >= 0 && validationFraction < 1, path.appending("validation_fraction"),
                    "must be in [0, 1) (the share of the text held out at its end), got \(validationFraction); e.g. validation_fraction: 0.1")
        try require(context >= 1, path.appending("context"), "must be at least 1 token, got \(context); e.g. context: 64")
        switch tokenizer {
        case .char:
            try require(vocabSize == 0, path.appending("vocab_size"),
                        "applies to tokenizer bpe only (a character tokenizer's vocabulary is the corpus's characters), "
                        + "got \(vocabSize) with tokenizer char; remove vocab_size, or set tokenizer: bpe")
        case .bpe:
            try require(vocabSize > 256 && vocabSize <= BytePairTokenizer.maximumVocabularySize, path.appending("vocab_size"),
                        "must be more than 256 (the 256 byte values plus at least one merge) and at most "
                        + "\(BytePairTokenizer.maximumVocabularySize), got \(vocabSize); e.g. vocab_size: 512")
        }
        if trainSubset > 0 {
            try require(validationSize < trainSubset, path.appending("validation_size"),
                        "\(validationSize) validation samples leave none of the \(trainSubset) in train_subset "
                        + "for training; lower validation_size or raise train_subset")
        }
    }
}

/// Random transformations of training images: `data.augment:`. Evaluation never augments.
public struct AugmentConfig: Codable, Equatable, Sendable {
    /// Pad every side by this many black pixels, then crop a random window of the original
    /// size (`crop_padding`; torchvision RandomCrop). Default 0 = off.
    public var cropPadding = 0
    /// Mirror left–right with probability ½ (`horizontal_flip`; torchvision RandomHorizontalFlip). Default false.
    public var horizontalFlip = false
    /// Probability of blanking one random rectangle (2–33 % of the image, aspect 0.3–3.3) to
    /// the mean pixel, after crop and flip (`random_erasing`; torchvision RandomErasing(p)). Default 0 = off.
    public var randomErasing: Float = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cropPadding = "crop_padding"
        case horizontalFlip = "horizontal_flip"
        case randomErasing = "random_erasing"
    }
}
