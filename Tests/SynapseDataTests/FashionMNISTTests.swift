import Testing
import SynapseData

/// The real Fashion-MNIST files from Debian's dataset-fashion-mnist, loaded once for all tests.
enum RealFashionMNIST {
    static let train = Result { try FashionMNIST.load(split: .train) }
    static let test = Result { try FashionMNIST.load(split: .test) }
}

@Suite struct FashionMNISTTests {
    @Test func trainingSplitLoads() throws {
        let train = try RealFashionMNIST.train.get()
        #expect(train.count == 60_000)
        #expect(train.imageShape == [1, 28, 28])
        #expect(train.images.count == 60_000 * 784)
        #expect(train.classCount == 10)
        #expect(train.labelHistogram() == [Int](repeating: 6000, count: 10))
        // The first training images are an ankle boot and two T-shirts (Xiao et al.'s files).
        #expect(Array(train.labels.prefix(3)) == [9, 0, 0])
    }

    @Test func testSplitLoads() throws {
        let test = try RealFashionMNIST.test.get()
        #expect(test.count == 10_000)
        #expect(test.imageShape == [1, 28, 28])
        #expect(test.labelHistogram() == [Int](repeating: 1000, count: 10))
    }

    @Test func classNames() {
        #expect(FashionMNIST.classNames == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        #expect(MNIST.classNames == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    @Test func trainingNormalizationMatchesPublishedValues() throws {
        // The values every Fashion-MNIST tutorial uses: mean 0.2860, std 0.3530.
        let n = try Normalization(fittedTo: RealFashionMNIST.train.get())
        #expect(abs(n.mean - 0.2860) < 5e-4, "mean \(n.mean)")
        #expect(abs(n.std - 0.3530) < 5e-4, "std \(n.std)")
    }

    @Test func missingDirectoryExplainsHowToInstall() throws {
        let dir = "/nonexistent-synapse-data"
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: dir, split: .train) }
        let message = error?.description ?? ""
        for needle in ["dataset-fashion-mnist", "apt-get install dataset-fashion-mnist", "data.path",
                       dir + "/train-images-idx3-ubyte.gz", dir + "/train-images-idx3-ubyte",
                       "does not exist"] {
            #expect(message.contains(needle), "missing \"\(needle)\" in: \(message)")
        }
    }

    @Test func missingLabelFileNamesIt() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/t10k-images-idx3-ubyte", IDXArray(shape: [1, 28, 28], bytes: sampleBytes(784)).encoded())
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: dir, split: .test) }
        guard case .datasetNotFound(_, let missing, let tried, _)? = error else {
            Issue.record("expected datasetNotFound, got \(String(describing: error))"); return
        }
        #expect(missing == "t10k-labels-idx1-ubyte")
        #expect(tried == [dir + "/t10k-labels-idx1-ubyte.gz", dir + "/t10k-labels-idx1-ubyte"])
    }

    /// Writes a small MNIST-style test split: images [N, h, w], the given labels.
    private func writeSplit(_ dir: String, images n: Int, height h: Int = 28, width w: Int = 28,
                            labels: [UInt8], gzip: Bool) throws {
        let images = IDXArray(shape: [n, h, w], bytes: sampleBytes(n * h * w))
        let labelArray = IDXArray(shape: [labels.count], bytes: labels)
        if gzip {
            try writeGzipFile(dir + "/t10k-images-idx3-ubyte.gz", images.encoded())
            try writeGzipFile(dir + "/t10k-labels-idx1-ubyte.gz", labelArray.encoded())
        } else {
            try writeFile(dir + "/t10k-images-idx3-ubyte", images.encoded())
            try writeFile(dir + "/t10k-labels-idx1-ubyte", labelArray.encoded())
        }
    }

    @Test(arguments: [false, true])
    func smallFolderLoads(gzip: Bool) throws {
        let dir = try makeTemporaryDirectory()
        try writeSplit(dir, images: 5, labels: [3, 1, 4, 1, 5], gzip: gzip)
        let data = try MNIST.load(directory: dir, split: .test)
        #expect(data.count == 5)
        #expect(data.labels == [3, 1, 4, 1, 5])
        #expect(data.images == sampleBytes(5 * 784))
        #expect(data.labelHistogram() == [0, 2, 0, 1, 1, 1, 0, 0, 0, 0])
    }

    @Test func countMismatchIsReported() throws {
        let dir = try makeTemporaryDirectory()
        try writeSplit(dir, images: 5, labels: [1, 2, 3, 4], gzip: false)
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: dir, split: .test) }
        #expect(error?.description.contains("4 labels for the 5 images") == true, "\(String(describing: error))")
    }

    @Test func labelOutOfRangeIsReported() throws {
        let dir = try makeTemporaryDirectory()
        try writeSplit(dir, images: 3, labels: [1, 10, 2], gzip: false)
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: dir, split: .test) }
        #expect(error?.description.contains("label 10 at index 1") == true, "\(String(describing: error))")
    }

    @Test func wrongImageSizeIsReported() throws {
        let dir = try makeTemporaryDirectory()
        try writeSplit(dir, images: 2, height: 32, width: 32, labels: [1, 2], gzip: false)
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: dir, split: .test) }
        #expect(error?.description.contains("[2, 32, 32], expected [N, 28, 28]") == true, "\(String(describing: error))")
    }
}
