/// Fashion-MNIST: 70,000 grayscale 28×28 images of clothing in 10 classes (60,000 for
/// training, 10,000 for testing), a drop-in replacement for MNIST that is harder to fit.
///
/// Debian ships it in the package `dataset-fashion-mnist`
/// (`/usr/share/datasets/fashion-mnist/*.gz`); nothing is downloaded at run time.
///
/// Reference: H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
/// Benchmarking Machine Learning Algorithms", arXiv:1708.07747 (2017).
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Loads one split from the IDX files in `directory` (`.gz` or uncompressed).
    ///
    /// - Shape: images [N, 1·28·28] bytes, labels [N]; N = 60,000 (train) or 10,000 (test).
    /// - Throws: `DataError`: files missing (the message lists the paths tried, the Debian
    ///   package and the `data.path` config key), corrupt, or not fitting together.
    public static func load(directory: String = defaultDirectory, split: DatasetSplit) throws -> ImageDataset {
        try folder.load(directory: directory, split: split)
    }

    private static let folder = IDXImageFolder(
        datasetName: "Fashion-MNIST", classNames: classNames, imageSize: (28, 28),
        installHint: "Install Debian's package dataset-fashion-mnist (`apt-get install "
            + "dataset-fashion-mnist`), which puts the files in \(defaultDirectory), or set the "
            + "config key data.path to the directory that holds them.")
}
