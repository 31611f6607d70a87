/// A labelled image-classification dataset held as raw bytes, one image after another.
///
/// Pixels stay `UInt8` (what the files store) and become normalized `Float`s only when a
/// batch is built (`DataLoader`): Fashion-MNIST's 60,000 training images take 47 MB this way
/// against 188 MB as floats, which keeps a rank's peak memory small.
///
/// - Shape: `images` [N, C·H·W] (row-major, each image [C, H, W]), `labels` [N].
public struct ImageDataset: Sendable {
    /// Pixel values 0...255, image after image; image `i` is
    /// `images[i * featureCount ..< (i + 1) * featureCount]` in [C, H, W] order.
    public let images: [UInt8]
    /// Class index of each image, in `0..<classCount`.
    public let labels: [Int32]
    /// Shape of one image, `[C, H, W]` (`[1, 28, 28]` for Fashion-MNIST).
    public let imageShape: [Int]
    /// Human-readable name of each class, indexed by label.
    public let classNames: [String]

    /// A dataset from images and labels that the caller has already validated.
    ///
    /// Programmer errors (sizes that do not fit, labels out of range) stop with a message;
    /// loaders check user files first and throw `DataError` instead.
    public init(images: [UInt8], labels: [Int32], imageShape: [Int], classNames: [String]) {
        precondition(imageShape.count == 3, "ImageDataset: imageShape \(imageShape) must be [C, H, W]")
        let featureCount = imageShape.reduce(1, *)
        precondition(images.count == labels.count * featureCount,
                     "ImageDataset: \(images.count) pixel bytes for \(labels.count) images of shape \(imageShape)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classNames.count },
                     "ImageDataset: a label is outside 0..<\(classNames.count)")
        self.images = images
        self.labels = labels
        self.imageShape = imageShape
        self.classNames = classNames
    }

    /// Number of images (N).
    public var count: Int { labels.count }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Values per image, C·H·W.
    public var featureCount: Int { imageShape.reduce(1, *) }

    /// How many images carry each label; index = label.
    public func labelHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classCount)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }
}

/// Which of a dataset's official parts to load.
public enum DatasetSplit: String, Sendable, CaseIterable, Codable {
    /// The training part (60,000 images for MNIST and Fashion-MNIST).
    case train
    /// The held-out test part (10,000 images), called `t10k` in the MNIST file names.
    case test
}
