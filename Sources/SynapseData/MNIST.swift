/// MNIST: 70,000 grayscale 28×28 images of handwritten digits 0–9 (60,000 for training,
/// 10,000 for testing), in the same IDX files as Fashion-MNIST.
///
/// Debian does not package MNIST; a user who has the four files points `data.path` at them.
///
/// Reference: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to
/// document recognition", Proc. IEEE 86(11), 1998.
public enum MNIST {
    /// The class names, indexed by label.
    public static let classNames = (0..<10).map { String($0) }

    /// Loads one split from the IDX files in `directory` (`.gz` or uncompressed).
    ///
    /// - Shape: images [N, 1·28·28] bytes, labels [N].
    /// - Throws: `DataError`: files missing (the message lists the paths tried), corrupt, or
    ///   not fitting together.
    public static func load(directory: String, split: DatasetSplit) throws -> ImageDataset {
        try folder.load(directory: directory, split: split)
    }

    private static let folder = IDXImageFolder(
        datasetName: "MNIST", classNames: classNames, imageSize: (28, 28),
        installHint: "Put the four MNIST IDX files (train-images-idx3-ubyte.gz, "
            + "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
            + "in one directory and set the config key data.path to it; for a dataset that "
            + "Debian ships, use Fashion-MNIST (`apt-get install dataset-fashion-mnist`).")
}
