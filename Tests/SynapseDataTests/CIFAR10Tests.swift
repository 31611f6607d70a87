import Foundation
import Testing
import SynapseData

/// CIFAR-10 is not installable here: these tests write small files in its binary format.
@Suite struct CIFAR10Tests {
    /// Writes `records` (label, pixel seed) as one CIFAR-10 binary file.
    func writeFile(_ dir: URL, _ name: String, _ records: [(UInt8, UInt8)]) throws {
        var bytes: [UInt8] = []
        for (label, seed) in records {
            bytes.append(label)
            for i in 0..<(3 * 32 * 32) { bytes.append(UInt8(truncatingIfNeeded: Int(seed) &+ i)) }
        }
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }

    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func loadsTrainAndTestInChannelFirstLayout() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for k in 1...5 { try writeFile(dir, "data_batch_\(k).bin", [(UInt8(k), UInt8(k * 10)), (9, 7)]) }
        try writeFile(dir, "test_batch.bin", [(3, 1)])
        let train = try CIFAR10.load(directory: dir.path, split: .train)
        #expect(train.count == 10)
        #expect(train.imageShape == [3, 32, 32])
        #expect(train.labels == [1, 9, 2, 9, 3, 9, 4, 9, 5, 9])
        // Record 0 of batch 1: pixel i = 10 + i (mod 256); red plane first, then green at 1024.
        #expect(train.images[0] == 10)
        #expect(train.images[1024] == UInt8((10 + 1024) % 256))
        #expect(train.images[3072] == 7)   // second record starts right after the first image
        let test = try CIFAR10.load(directory: dir.path, split: .test)
        #expect(test.count == 1 && test.labels == [3] && test.classCount == 10)
    }

    @Test func truncatedFileIsAnError() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeFile(dir, "test_batch.bin", [(1, 1), (2, 2)])
        let path = dir.appendingPathComponent("test_batch.bin")
        let data = try Data(contentsOf: path)
        try data.prefix(data.count - 100).write(to: path)
        let error = #expect(throws: DataError.self) { try CIFAR10.load(directory: dir.path, split: .test) }
        #expect(error?.description.contains("not a whole number of 3073-byte") == true)
        #expect(error?.description.contains(path.path) == true)
    }

    @Test func badLabelIsAnError() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeFile(dir, "test_batch.bin", [(1, 1), (12, 2)])
        let error = #expect(throws: DataError.self) { try CIFAR10.load(directory: dir.path, split: .test) }
        #expect(error?.description.contains("record 1 has label 12") == true)
    }

    @Test func missingTrainingFileSaysWhereToGetIt() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeFile(dir, "data_batch_1.bin", [(1, 1)])
        let error = #expect(throws: DataError.self) { try CIFAR10.load(directory: dir.path, split: .train) }
        #expect(error?.description.contains("data_batch_2.bin") == true)
        #expect(error?.description.contains("data.path") == true)
    }
}
