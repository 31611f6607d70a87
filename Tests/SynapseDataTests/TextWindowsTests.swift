import Testing
import SynapseCore
import SynapseData

/// Token ids 0, 1, 2, … so a window's values are its positions.
private func ramp(_ n: Int) -> [Int32] { (0..<n).map(Int32.init) }

/// Row `i` of a batch: its inputs as integers and its targets.
private func row(_ batch: TextBatch, _ i: Int) -> (inputs: [Int32], targets: [Int32]) {
    let T = batch.context
    return ((0..<T).map { Int32(batch.inputs.data[i * T + $0]) }, Array(batch.targets[(i * T)..<((i + 1) * T)]))
}

@Suite struct TextWindowsTests {
    @Test func windowsAreTheTextAndTargetsAreShiftedByOne() throws {
        let tokens: [Int32] = [5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 11, 10]
        let windows = try TrainingWindows(tokens: tokens, context: 4, globalBatchSize: 6, seed: 7, source: "t")
        let batch = windows.batch(step: 3)
        #expect(batch.inputs.shape == [6, 4] && batch.targets.count == 24 && batch.count == 6 && batch.index == 3)
        for i in 0..<6 {
            let o = batch.offsets[i]
            #expect(o >= 0 && o <= tokens.count - 4 - 1)
            #expect(row(batch, i).inputs == Array(tokens[o..<(o + 4)]))
            #expect(row(batch, i).targets == Array(tokens[(o + 1)..<(o + 5)]))
        }
    }

    @Test func offsetsAreTheSeededStreamOfTheStep() throws {
        // The contract: B draws of nextInt(below: N − T) from (seed, offsetStream, step).
        let windows = try TrainingWindows(tokens: ramp(1000), context: 16, globalBatchSize: 8, seed: 42, source: "t")
        var rng = RandomGenerator(seed: 42, stream: TrainingWindows.offsetStream, 5)
        #expect(windows.globalOffsets(step: 5) == (0..<8).map { _ in rng.nextInt(below: 984) })
        #expect(windows.batch(step: 5).offsets == windows.globalOffsets(step: 5))
    }

    @Test func offsetsAreReproducibleAndDifferAcrossStepsAndSeeds() throws {
        let a = try TrainingWindows(tokens: ramp(10_000), context: 32, globalBatchSize: 16, seed: 1, source: "t")
        let b = try TrainingWindows(tokens: ramp(10_000), context: 32, globalBatchSize: 16, seed: 1, source: "t")
        let c = try TrainingWindows(tokens: ramp(10_000), context: 32, globalBatchSize: 16, seed: 2, source: "t")
        _ = a.batch(step: 0); _ = a.batch(step: 9)  // drawing other steps first changes nothing
        #expect(a.batch(step: 4).offsets == b.batch(step: 4).offsets)
        #expect(a.globalOffsets(step: 4) != a.globalOffsets(step: 5))
        #expect(a.globalOffsets(step: 4) != c.globalOffsets(step: 4))
    }

    @Test func everyValidOffsetIsDrawnAndNoOther() throws {
        // N = 10, T = 4: windows start at 0...5 (the one at 5 has its last target at 9).
        let windows = try TrainingWindows(tokens: ramp(10), context: 4, globalBatchSize: 4, seed: 3, source: "t")
        let seen = Set((0..<200).flatMap { windows.globalOffsets(step: $0) })
        #expect(seen == Set(0...5))
    }

    @Test(arguments: [2, 3, 4])
    func ranksTakeInterleavedRowsOfTheSameGlobalBatch(worldSize S: Int) throws {
        let tokens = ramp(5000)
        let single = try TrainingWindows(tokens: tokens, context: 8, globalBatchSize: 12, seed: 9, source: "t")
        for step in [0, 1, 17] {
            let whole = single.batch(step: step)
            let rows = (0..<12).map { row(whole, $0) }
            for r in 0..<S {
                let rank = try TrainingWindows(tokens: tokens, context: 8, globalBatchSize: 12, worldSize: S, rank: r,
                                               seed: 9, source: "t")
                let part = rank.batch(step: step)
                #expect(part.count == 12 / S)
                for j in 0..<part.count {
                    #expect(row(part, j) == rows[r + j * S], "step \(step), rank \(r) of \(S), row \(j)")
                }
            }
        }
    }

    @Test func batchesReuseTheirBuffers() throws {
        let windows = try TrainingWindows(tokens: ramp(100), context: 5, globalBatchSize: 3, seed: 0, source: "t")
        let first = windows.batch(step: 0).inputs
        let second = windows.batch(step: 1).inputs
        #expect(first === second)
        #expect(first.storage === second.storage)
        let validation = try ValidationWindows(tokens: ramp(100), context: 5, batchSize: 4, source: "t")  // 19 windows
        #expect(validation.batch(0).inputs === validation.batch(3).inputs)
        #expect(validation.batch(4).inputs === validation.batch(4).inputs && validation.batch(4).count == 3)
    }

    @Test func badTrainingSettingsAreErrors() throws {
        let indivisible = #expect(throws: DataError.self) {
            try TrainingWindows(tokens: ramp(100), context: 4, globalBatchSize: 10, worldSize: 3, rank: 0, seed: 0, source: "t")
        }
        #expect(indivisible?.description.contains("global batch size 10 does not divide over 3 ranks") == true)
        let short = #expect(throws: DataError.self) {
            try TrainingWindows(tokens: ramp(64), context: 64, globalBatchSize: 4, seed: 0, source: "corpus.txt")
        }
        #expect(short?.description.contains("corpus.txt: the training text has 64 characters, fewer than the 65") == true,
                "\(String(describing: short))")
        #expect(throws: DataError.self) { try TrainingWindows(tokens: ramp(64), context: 0, globalBatchSize: 4, seed: 0, source: "t") }
        #expect(throws: DataError.self) { try TrainingWindows(tokens: ramp(64), context: 4, globalBatchSize: 0, seed: 0, source: "t") }
    }

    @Test func validationWindowsFollowThePeer() throws {
        // N_val = 23, T = 4: n = (23 − 1) / 4 = 5 windows at 0, 4, 8, 12, 16; tokens 21, 22 unscored.
        let windows = try ValidationWindows(tokens: ramp(23), context: 4, batchSize: 2, source: "t")
        #expect(windows.totalWindowCount == 5 && windows.windowCount == 5 && windows.batchCount == 3)
        let batches = Array(windows.batches().map { ($0.offsets, $0.inputs.scalars, $0.targets) })
        #expect(batches.map(\.0) == [[0, 4], [8, 12], [16]])
        #expect(batches[2].1 == [16, 17, 18, 19])
        #expect(batches[2].2 == [17, 18, 19, 20])
        #expect(batches[0].2 == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test(arguments: [1, 2, 3], [1, 2, 5])
    func validationWindowsAreEachScoredOnceOverRanks(worldSize S: Int, batchSize: Int) throws {
        let tokens = ramp(103)  // n = 102 / 8 = 12 windows
        var starts: [Int] = []
        var tokensScored = 0
        for r in 0..<S {
            let windows = try ValidationWindows(tokens: tokens, context: 8, batchSize: batchSize, worldSize: S, rank: r, source: "t")
            var rankStarts: [Int] = []
            for batch in windows.batches() {
                #expect(batch.count <= batchSize)
                for i in 0..<batch.count {
                    let o = batch.offsets[i]
                    #expect(row(batch, i).inputs == Array(tokens[o..<(o + 8)]))
                    #expect(row(batch, i).targets == Array(tokens[(o + 1)..<(o + 9)]))
                }
                rankStarts += batch.offsets
                tokensScored += batch.targets.count
            }
            #expect(rankStarts == stride(from: r, to: 12, by: S).map { $0 * 8 }, "rank \(r): window i on rank i mod S")
            #expect(rankStarts.count == windows.windowCount)
            starts += rankStarts
        }
        #expect(starts.sorted() == (0..<12).map { $0 * 8 })
        #expect(tokensScored == 12 * 8)
    }

    @Test func moreRanksThanWindowsLeavesSomeRanksEmpty() throws {
        let last = try ValidationWindows(tokens: ramp(9), context: 4, batchSize: 4, worldSize: 3, rank: 2, source: "t")
        #expect(last.totalWindowCount == 2 && last.windowCount == 0 && last.batchCount == 0)
        #expect(Array(last.batches()).isEmpty)
    }

    @Test func validationShorterThanAWindowIsAnError() throws {
        let error = #expect(throws: DataError.self) {
            try ValidationWindows(tokens: ramp(30), context: 64, batchSize: 8, source: "/data/small.txt")
        }
        #expect(error == .invalidCorpus(path: "/data/small.txt", reason: "the validation text has 30 characters, fewer "
            + "than the 65 one window needs (context 64 plus the character that follows); use a shorter context, a "
            + "longer corpus, or a larger validation fraction"))
    }

    @Test func splitIsHeadAndTail() throws {
        let split = try TextSplit(tokens: ramp(25), source: "t")
        #expect(split.train == ramp(22) && split.validation == [22, 23, 24])  // int(0.9 * 25) = 22
        let quarter = try TextSplit(tokens: ramp(8), validationFraction: 0.25, source: "t")
        #expect(quarter.train.count == 6 && quarter.validation.count == 2)
        #expect(try TextSplit(tokens: ramp(8), validationFraction: 0, source: "t").validation.isEmpty)
        #expect(throws: DataError.self) { try TextSplit(tokens: ramp(8), validationFraction: 1, source: "t") }
        #expect(throws: DataError.self) { try TextSplit(tokens: ramp(8), validationFraction: -0.1, source: "t") }
        #expect(throws: DataError.self) { try TextSplit(tokens: [1], validationFraction: 0.5, source: "t") }
    }

    @Test func defaultFractionIsPythonsIntOfNinetyPercent() throws {
        #expect(1 - 0.1 == 0.9, "the same binary64 number, so Double(n) * (1 - 0.1) is Python's 0.9 * n")
        for n in [0, 1, 9, 10, 11, 99, 2_576_627, 10_000_019, 123_456_789] {
            #expect(try TextSplit.trainingCount(n, validationFraction: 0.1) == Int(0.9 * Double(n)), "n = \(n)")
        }
        #expect(try TextSplit.trainingCount(2_576_627, validationFraction: 0.1) == 2_318_964)  // Python's value
    }
}
