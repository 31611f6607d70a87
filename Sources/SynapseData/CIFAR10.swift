#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CIFAR-10 in its "binary version": 60,000 colour 32×32 images in 10 classes (50,000 for
/// training in `data_batch_1.bin` … `data_batch_5.bin`, 10,000 in `test_batch.bin`).
///
/// Each file is a sequence of 3,073-byte records: one label byte, then 1,024 red, 1,024 green
/// and 1,024 blue bytes (row-major 32×32 planes) — already the [C, H, W] layout Synapse uses.
/// Debian does not package CIFAR-10: download `cifar-10-binary.tar.gz` from the dataset's
/// page, unpack it, and point `data.path` at the `cifar-10-batches-bin` directory.
///
/// Reference: A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images" (2009).
public enum CIFAR10 {
    /// The class names, indexed by label.
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    /// Bytes per record: a label and a 3×32×32 image.
    public static let recordSize = 1 + 3 * 32 * 32
    /// Records in each file of the binary version (the most a file may hold).
    public static let recordsPerFile = 10_000

    /// The file names of one split.
    public static func fileNames(split: DatasetSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// Loads one split from `directory` (the unpacked `cifar-10-batches-bin`).
    ///
    /// Training files that are missing are an error, not a smaller dataset: a silently
    /// partial training set is a wrong answer.
    /// - Shape: images [N, 3·32·32] bytes, labels [N].
    /// - Throws: `DataError` naming the missing file (and where to get it), a file whose size is
    ///   not a whole number of records, or a label outside 0..<10.
    public static func load(directory: String, split: DatasetSplit) throws -> ImageDataset {
        var images: [UInt8] = []
        var labels: [Int32] = []
        for name in fileNames(split: split) {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if access(path, F_OK) != 0, errno != ENOENT, errno != ENOTDIR {
                throw DataError.unreadable(path: path, code: errno)
            }
            guard access(path, F_OK) == 0 else {
                throw DataError.datasetNotFound(
                    dataset: "CIFAR-10", missingFile: name, triedPaths: [path],
                    hint: (access(directory, F_OK) != 0 ? "The directory \(directory) does not exist. " : "")
                        + "Download the binary version (cifar-10-binary.tar.gz) from the CIFAR-10 page, unpack it, "
                        + "and set data.path to its cifar-10-batches-bin directory.")
            }
            // A file of the binary version holds 10,000 records: more is damage (or a
            // compressed file that would inflate without end), refused as soon as it shows.
            let bytes = try Gzip.readFile(atPath: path, limit: { _ in
                Gzip.SizeLimit(bytes: recordsPerFile * recordSize) { size in
                    .inconsistentDataset(path: path, reason: "holds at least \(size) bytes, more than the \(recordsPerFile) records "
                                         + "of \(recordSize) bytes a CIFAR-10 binary file has; reading stopped there. The file "
                                         + "is damaged or not a CIFAR-10 batch file: download the binary version again")
                }
            })
            guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
                throw DataError.inconsistentDataset(path: path, reason:
                    "\(bytes.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records "
                    + "(label + 3×32×32 pixels); the file is truncated or not in the binary format")
            }
            let n = bytes.count / recordSize
            images.reserveCapacity(images.count + n * (recordSize - 1))
            for r in 0..<n {
                let base = r * recordSize
                let label = bytes[base]
                guard Int(label) < classNames.count else {
                    throw DataError.inconsistentDataset(path: path, reason:
                        "record \(r) has label \(label), outside 0..<\(classNames.count)")
                }
                labels.append(Int32(label))
                images.append(contentsOf: bytes[(base + 1)..<(base + recordSize)])
            }
        }
        return ImageDataset(images: images, labels: labels, imageShape: [3, 32, 32], classNames: classNames)
    }
}
