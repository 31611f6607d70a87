/// Per-dataset input normalization `x = (byte / 255 - mean) / std`, one scalar mean and
/// standard deviation over all pixels, as `torchvision.transforms.ToTensor()` followed by
/// `Normalize(mean, std)` does for a grayscale dataset.
///
/// The statistics come from the training part only (`init(fittedTo:indices:)`): using the
/// validation or test images would leak information about them into training.
/// For Fashion-MNIST training: mean ≈ 0.2860, std ≈ 0.3530.
public struct Normalization: Codable, Equatable, Sendable {
    /// Mean pixel value after scaling to [0, 1].
    public var mean: Float
    /// Standard deviation of the scaled pixel values.
    public var std: Float

    /// A normalization with the given statistics (std must be positive).
    public init(mean: Float, std: Float) {
        precondition(std > 0 && std.isFinite, "Normalization: std must be positive and finite, got \(std)")
        self.mean = mean
        self.std = std
    }

    /// No centering or scaling beyond byte / 255: values in [0, 1].
    public static let unitInterval = Normalization(mean: 0, std: 1)

    /// The mean and standard deviation of all pixels of the chosen images, scaled to [0, 1].
    ///
    /// Sums are exact (integers), the final arithmetic is in Double. The standard deviation is
    /// the unbiased one (divides by n − 1), like `torch.Tensor.std()`; with millions of pixels
    /// the difference from the population value is below 1e-7.
    /// - Parameters:
    ///   - dataset: the images.
    ///   - indices: which images to use (the training part of a train/validation split);
    ///     `nil` means all.
    /// - Throws: `DataError.invalidSetting` if fewer than two pixels are selected or all
    ///   pixels are equal (the standard deviation would be zero).
    public init(fittedTo dataset: ImageDataset, indices: [Int]? = nil) throws {
        let F = dataset.featureCount
        var sum: UInt64 = 0
        var sumOfSquares: UInt64 = 0
        var imageCount = 0
        dataset.images.withUnsafeBufferPointer { pixels in
            func accumulate(_ image: Int) {
                var s: UInt64 = 0, s2: UInt64 = 0
                for p in pixels[image * F ..< (image + 1) * F] {
                    let v = UInt64(p)
                    s &+= v
                    s2 &+= v &* v
                }
                sum &+= s
                sumOfSquares &+= s2
            }
            if let indices {
                for i in indices {
                    precondition(i >= 0 && i < dataset.count, "Normalization: index \(i) outside 0..<\(dataset.count)")
                    accumulate(i)
                }
                imageCount = indices.count
            } else {
                for i in 0..<dataset.count { accumulate(i) }
                imageCount = dataset.count
            }
        }
        let n = Double(imageCount * F)
        guard n >= 2 else {
            throw DataError.invalidSetting("normalization needs at least two pixels, the training images have \(Int(n))")
        }
        let mean = Double(sum) / n / 255
        let meanOfSquares = Double(sumOfSquares) / n / (255 * 255)
        let variance = max(0, meanOfSquares - mean * mean) * n / (n - 1)
        guard variance > 0 else {
            throw DataError.invalidSetting("normalization: all training pixels have the value \(mean * 255), "
                + "so their standard deviation is 0; set the mean and std by hand")
        }
        self.init(mean: Float(mean), std: Float(variance.squareRoot()))
    }

    /// The normalized value of every possible byte, `table[b] = (b / 255 - mean) / std`,
    /// computed in Float in the same order of operations as PyTorch so the values agree
    /// exactly. A batch is then one table look-up per pixel.
    public func lookupTable() -> [Float] {
        (0...255).map { (Float($0) / 255 - mean) / std }
    }
}
