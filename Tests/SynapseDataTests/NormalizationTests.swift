import Testing
import SynapseData
import SynapseTestSupport

@Suite struct NormalizationTests {
    /// Two 1×1×2 images: [0, 255] and [0, 255].
    let dataset = ImageDataset(images: [0, 255, 0, 255], labels: [0, 1], imageShape: [1, 1, 2], classNames: ["a", "b"])

    @Test func handComputedStatistics() throws {
        // Pixels 0, 1, 0, 1 after scaling: mean 0.5; unbiased variance 4·0.25 / 3 = 1/3.
        let n = try Normalization(fittedTo: dataset)
        expectClose(n.mean, 0.5)
        expectClose(n.std, (1.0 / 3.0 as Float).squareRoot())
    }

    @Test func onlyChosenImagesCount() throws {
        let data = ImageDataset(images: [0, 255, 51, 51, 102, 102], labels: [0, 0, 0], imageShape: [1, 1, 2],
                                classNames: ["a"])
        // Images 0 and 2: pixels 0, 1, 0.4, 0.4 → mean 0.45; unbiased var (0.2025+0.3025+0.0025·2)/3 = 0.17.
        let n = try Normalization(fittedTo: data, indices: [0, 2])
        expectClose(n.mean, 0.45)
        expectClose(n.std, (0.17 as Float).squareRoot())
    }

    @Test func lookupTableAppliesTheFormula() {
        let table = Normalization(mean: 0.25, std: 0.5).lookupTable()
        #expect(table.count == 256)
        expectClose(table[0], -0.5)
        expectClose(table[255], 1.5)
        expectClose(table[51], (0.2 - 0.25) / 0.5)
        #expect(Normalization.unitInterval.lookupTable()[255] == 1)
    }

    @Test func constantImagesAreAnError() {
        let flat = ImageDataset(images: [7, 7, 7, 7], labels: [0, 0], imageShape: [1, 1, 2], classNames: ["a"])
        let error = #expect(throws: DataError.self) { try Normalization(fittedTo: flat) }
        #expect(error?.description.contains("standard deviation is 0") == true)
    }
}
