#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory holding an MNIST-style dataset: four IDX files named
/// `{train,t10k}-{images-idx3,labels-idx1}-ubyte`, each gzip-compressed (`.gz`) or not.
///
/// Shared by `FashionMNIST` and `MNIST`, which differ only in names and where to get them.
struct IDXImageFolder {
    /// Name used in messages ("Fashion-MNIST").
    let datasetName: String
    /// One name per class, indexed by label.
    let classNames: [String]
    /// Height and width every image must have.
    let imageSize: (height: Int, width: Int)
    /// How to get the files, appended to "not found" errors.
    let installHint: String

    /// Loads one split from `directory`, validating that images and labels fit together.
    func load(directory: String, split: DatasetSplit) throws -> ImageDataset {
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = try locate("\(prefix)-images-idx3-ubyte", in: directory)
        let labelsPath = try locate("\(prefix)-labels-idx1-ubyte", in: directory)
        let images = try IDXArray(contentsOfFile: imagesPath)
        let labels = try IDXArray(contentsOfFile: labelsPath)

        let (H, W) = imageSize
        guard images.shape.count == 3, images.shape[1] == H, images.shape[2] == W else {
            throw DataError.inconsistentDataset(path: imagesPath, reason:
                "\(datasetName) images have shape \(images.shape), expected [N, \(H), \(W)]")
        }
        guard labels.shape.count == 1 else {
            throw DataError.inconsistentDataset(path: labelsPath, reason:
                "\(datasetName) labels have shape \(labels.shape), expected [N]")
        }
        let N = images.shape[0]
        guard labels.shape[0] == N else {
            throw DataError.inconsistentDataset(path: labelsPath, reason:
                "\(labels.shape[0]) labels for the \(N) images of \(imagesPath); "
                + "the two files must come from the same \(split.rawValue) split")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DataError.inconsistentDataset(path: labelsPath, reason:
                "label \(labels.bytes[bad]) at index \(bad) is outside 0..<\(classNames.count)")
        }
        return ImageDataset(images: images.bytes, labels: labels.bytes.map { Int32($0) },
                            imageShape: [1, H, W], classNames: classNames)
    }

    /// The path of `name.gz` or `name` in `directory`, whichever exists (compressed first).
    private func locate(_ name: String, in directory: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let candidates = [base + ".gz", base]
        for candidate in candidates {
            if access(candidate, F_OK) == 0 { return candidate }
            // Not "missing" when the system refused to look (a directory without x permission).
            let code = errno
            if code != ENOENT && code != ENOTDIR { throw DataError.unreadable(path: candidate, code: code) }
        }
        var hint = installHint
        if access(directory, F_OK) != 0 {
            hint = "The directory \(directory) does not exist. " + hint
        }
        throw DataError.datasetNotFound(dataset: datasetName, missingFile: name,
                                        triedPaths: candidates, hint: hint)
    }
}
