import Testing
import SynapseCore
import SynapseData
import SynapseTestSupport

@Suite struct DataLoaderTests {
    /// N images of 1×1×2 pixels whose bytes encode their own index (low byte, high byte), so
    /// a batch row tells which sample it is. Label = index % 10.
    static func indexedDataset(_ n: Int) -> ImageDataset {
        var pixels: [UInt8] = []
        for i in 0..<n { pixels += [UInt8(i % 256), UInt8(i / 256)] }
        return ImageDataset(images: pixels, labels: (0..<n).map { Int32($0 % 10) }, imageShape: [1, 1, 2],
                            classNames: (0..<10).map { String($0) })
    }

    /// The sample indices in a batch built with `Normalization.unitInterval`.
    static func sampleIndices(_ batch: Batch) -> [Int] {
        let x = batch.inputs.scalars
        return (0..<batch.count).map { Int((x[2 * $0] * 255).rounded()) + 256 * Int((x[2 * $0 + 1] * 255).rounded()) }
    }

    @Test func handComputedBatches() throws {
        // Three 1×2×2 images; mean 0.2, std 0.5 → value = (b/255 − 0.2) / 0.5.
        let data = ImageDataset(images: [0, 51, 102, 255, 255, 0, 0, 0, 51, 51, 51, 51],
                                labels: [2, 0, 1], imageShape: [1, 2, 2], classNames: ["a", "b", "c"])
        let sampler = DistributedSampler(indices: [0, 1, 2], shuffle: false)
        let loader = try DataLoader(dataset: data, sampler: sampler, batchSize: 2,
                                    normalization: Normalization(mean: 0.2, std: 0.5))
        #expect(loader.batchCount == 2)
        let batches = Array(loader.batches(epoch: 0).map { ($0.inputs.shape, $0.inputs.scalars, $0.labels, $0.realCount) })
        #expect(batches.count == 2)
        #expect(batches[0].0 == [2, 4] && batches[1].0 == [1, 4])
        expectClose(batches[0].1, [-0.4, 0, 0.4, 1.6, 1.6, -0.4, -0.4, -0.4])
        expectClose(batches[1].1, [0, 0, 0, 0])
        #expect(batches[0].2 == [2, 0] && batches[1].2 == [1])
        #expect(batches[0].3 == 2 && batches[1].3 == 1)

        let image = try DataLoader(dataset: data, sampler: sampler, batchSize: 2,
                                   normalization: .unitInterval, dropLastBatch: true, layout: .image)
        #expect(image.batchCount == 1)
        #expect(image.batch(0, epoch: 0).inputs.shape == [2, 1, 2, 2])
    }

    /// Single-process batches of size G versus S ranks with batch G / S each: the ranks'
    /// batch k, interleaved (global sample m from rank m % S), must be the single batch k.
    @Test(arguments: [1, 2, 3, 4])
    func ranksTogetherSeeTheGlobalBatch(worldSize S: Int) throws {
        let data = Self.indexedDataset(400)
        let G = 12
        for (listLength, comparedBatches) in [(120, 10), (103, 8)] {  // 103: only full batches compare
            let indices = Array(stride(from: 0, to: 3 * listLength, by: 3))
            let single = try DataLoader(dataset: data, sampler: DistributedSampler(indices: indices, seed: 9),
                                        batchSize: G, normalization: .unitInterval)
            let ranks = try (0..<S).map {
                try DataLoader(dataset: data,
                               sampler: DistributedSampler(indices: indices, worldSize: S, rank: $0, seed: 9),
                               batchSize: G / S, normalization: .unitInterval)
            }
            #expect(ranks.allSatisfy { $0.batchCount == ranks[0].batchCount })
            for epoch in [0, 1] {
                for k in 0..<comparedBatches {
                    let expected = single.batch(k, epoch: epoch)
                    let expectedSamples = Self.sampleIndices(expected)
                    let expectedLabels = expected.labels
                    let perRank = ranks.map { ($0.batch(k, epoch: epoch)) }.map { (Self.sampleIndices($0), $0.labels) }
                    let interleaved = (0..<G).map { perRank[$0 % S].0[$0 / S] }
                    let interleavedLabels = (0..<G).map { perRank[$0 % S].1[$0 / S] }
                    #expect(interleaved == expectedSamples, "S=\(S) L=\(listLength) epoch \(epoch) batch \(k)")
                    #expect(interleavedLabels == expectedLabels)
                }
            }
        }
    }

    @Test func resumingMidEpochContinuesTheSameOrder() throws {
        let data = Self.indexedDataset(50)
        let loader = try DataLoader(dataset: data, sampler: DistributedSampler(indices: Array(0..<50), seed: 1),
                                    batchSize: 8, normalization: .unitInterval)
        let full = loader.batches(epoch: 3).map { Self.sampleIndices($0) }
        let resumed = loader.batches(epoch: 3, startingAt: 4).map { Self.sampleIndices($0) }
        #expect(full.count == 7)
        #expect(resumed == Array(full[4...]))
        #expect(Array(full.joined()).sorted() == Array(0..<50))
        #expect(loader.batches(epoch: 3, startingAt: 7).map { $0.index }.isEmpty)
    }

    @Test func buffersAreReused() throws {
        let data = Self.indexedDataset(100)
        let loader = try DataLoader(dataset: data, sampler: DistributedSampler(indices: Array(0..<100), seed: 2),
                                    batchSize: 16, normalization: .unitInterval)
        var tensors: Set<ObjectIdentifier> = []
        var inputAddresses: Set<UInt> = []
        var labelAddresses: Set<UInt> = []
        for epoch in 0..<2 {
            for batch in loader.batches(epoch: epoch) {
                tensors.insert(ObjectIdentifier(batch.inputs))
                inputAddresses.insert(UInt(bitPattern: batch.inputs.pointer))
                labelAddresses.insert(batch.labels.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) })
            }
        }
        // One buffer for the 6 full batches of 16, one for the last batch of 4.
        #expect(tensors.count == 2)
        #expect(inputAddresses.count == 2)
        #expect(labelAddresses.count == 2)
    }

    @Test func evaluationCountsEachSampleOnce() throws {
        // L = 5 over S = 2 ranks, per-rank batch 2: rank 1's last sample is padding.
        let data = Self.indexedDataset(5)
        var counted: [Int] = []
        var stepsPerRank: [Int] = []
        for r in 0..<2 {
            let sampler = DistributedSampler(indices: Array(0..<5), worldSize: 2, rank: r, shuffle: false)
            let loader = try DataLoader(dataset: data, sampler: sampler, batchSize: 2, normalization: .unitInterval)
            stepsPerRank.append(loader.batchCount)
            for batch in loader.batches(epoch: 0) {
                counted += Self.sampleIndices(batch).prefix(batch.realCount)
            }
        }
        #expect(stepsPerRank == [2, 2])
        #expect(counted.sorted() == [0, 1, 2, 3, 4])
    }

    @Test func badBatchSizesAreErrors() {
        let data = Self.indexedDataset(10)
        let sampler = DistributedSampler(indices: Array(0..<10), worldSize: 2, rank: 0)
        let zero = #expect(throws: DataError.self) {
            try DataLoader(dataset: data, sampler: sampler, batchSize: 0, normalization: .unitInterval)
        }
        #expect(zero?.description.contains("at least 1") == true)
        let tooBig = #expect(throws: DataError.self) {
            try DataLoader(dataset: data, sampler: sampler, batchSize: 8, normalization: .unitInterval, dropLastBatch: true)
        }
        #expect(tooBig?.description.contains("5 samples per epoch") == true)
    }

    @Test func realFashionMNISTBatch() throws {
        let train = try RealFashionMNIST.train.get()
        let norm = Normalization(mean: 0.2860, std: 0.3530)
        let loader = try DataLoader(dataset: train, sampler: DistributedSampler(indices: Array(0..<train.count), shuffle: false),
                                    batchSize: 64, normalization: norm, layout: .image)
        #expect(loader.batchCount == 938)  // ⌈60000 / 64⌉
        let first = loader.batch(0, epoch: 0)
        #expect(first.inputs.shape == [64, 1, 28, 28])
        #expect(first.labels == Array(train.labels[..<64]))
        let expected = train.images[..<(64 * 784)].map { (Float($0) / 255 - 0.2860) / 0.3530 }
        expectClose(first.inputs.scalars, expected)
        #expect(loader.batch(937, epoch: 0).count == 60_000 - 937 * 64)
    }
}
