import Testing
import SynapseData

@Suite struct TrainValidationSplitTests {
    @Test func partsAreDisjointAndCoverEverything() throws {
        let split = try TrainValidationSplit(count: 1000, validationCount: 100, seed: 7)
        #expect(split.validation.count == 100)
        #expect(split.train.count == 900)
        #expect(Set(split.train).isDisjoint(with: split.validation))
        #expect((split.train + split.validation).sorted() == Array(0..<1000))
        #expect(split.train == split.train.sorted())
    }

    @Test func deterministicPerSeed() throws {
        let a = try TrainValidationSplit(count: 500, validationCount: 50, seed: 1)
        let b = try TrainValidationSplit(count: 500, validationCount: 50, seed: 1)
        let c = try TrainValidationSplit(count: 500, validationCount: 50, seed: 2)
        #expect(a == b)
        #expect(a.validation != c.validation)
        // Not simply the first or last indices.
        #expect(a.validation != Array(0..<50) && a.validation != Array(450..<500))
    }

    @Test func fractionRounds() throws {
        #expect(try TrainValidationSplit(count: 60_000, validationFraction: 0.1, seed: 0).validation.count == 6000)
        #expect(try TrainValidationSplit(count: 7, validationFraction: 0.5, seed: 0).validation.count == 4)
        #expect(try TrainValidationSplit(count: 10, validationFraction: 0, seed: 0).validation.isEmpty)
    }

    @Test(arguments: [1.0, -0.1, 1.5, Double.nan])
    func badFractionIsAnError(fraction: Double) {
        let error = #expect(throws: DataError.self) {
            try TrainValidationSplit(count: 100, validationFraction: fraction, seed: 0)
        }
        #expect(error?.description.contains("[0, 1)") == true)
    }

    @Test(arguments: [100, 101, -1])
    func badCountIsAnError(count: Int) {
        let error = #expect(throws: DataError.self) {
            try TrainValidationSplit(count: 100, validationCount: count, seed: 0)
        }
        #expect(error?.description.contains("\(count)") == true)
    }
}
