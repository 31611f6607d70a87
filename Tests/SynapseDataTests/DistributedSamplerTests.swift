import Testing
import SynapseCore
import SynapseData

@Suite struct DistributedSamplerTests {
    func shards(_ indices: [Int], worldSize: Int, seed: UInt64 = 3, epoch: Int = 0,
                shuffle: Bool = true, dropLast: Bool = false) -> [[Int]] {
        (0..<worldSize).map {
            DistributedSampler(indices: indices, worldSize: worldSize, rank: $0, seed: seed,
                               shuffle: shuffle, dropLast: dropLast).shard(epoch: epoch)
        }
    }

    @Test func handWorkedPaddingLikePyTorch() {
        // L = 5, S = 2, no shuffle: padded list [0, 1, 2, 3, 4, 0]; rank 0 takes 0, 2, 4 and
        // rank 1 takes 1, 3, 0 (the repeated 0 is padding), as torch's DistributedSampler does.
        #expect(shards(Array(0..<5), worldSize: 2, shuffle: false) == [[0, 2, 4], [1, 3, 0]])
        let real = (0..<2).map { DistributedSampler(indices: Array(0..<5), worldSize: 2, rank: $0, shuffle: false).realSampleCount }
        #expect(real == [3, 2])
    }

    @Test func handWorkedDropLast() {
        #expect(shards(Array(0..<5), worldSize: 2, shuffle: false, dropLast: true) == [[0, 2], [1, 3]])
        let s = DistributedSampler(indices: Array(0..<5), worldSize: 2, rank: 1, shuffle: false, dropLast: true)
        #expect(s.samplesPerRank == 2 && s.totalSize == 4 && s.realSampleCount == 2)
    }

    @Test func paddingLongerThanTheList() {
        // L = 2, S = 5: the list repeats until it has 5 entries: [7, 9, 7, 9, 7].
        #expect(shards([7, 9], worldSize: 5, shuffle: false) == [[7], [9], [7], [9], [7]])
        let real = (0..<5).map { DistributedSampler(indices: [7, 9], worldSize: 5, rank: $0, shuffle: false).realSampleCount }
        #expect(real == [1, 1, 0, 0, 0])
    }

    @Test func emptyList() {
        let s = DistributedSampler(indices: [], worldSize: 3, rank: 2)
        #expect(s.shard(epoch: 0).isEmpty && s.samplesPerRank == 0 && s.realSampleCount == 0)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7])
    func shardsAreEqualDisjointAndCoverTheList(worldSize S: Int) {
        let indices = Array(stride(from: 1000, to: 1000 + 3 * 103, by: 3))  // L = 103, not 0..<L
        let parts = shards(indices, worldSize: S, epoch: 4)
        let perRank = (103 + S - 1) / S
        #expect(parts.allSatisfy { $0.count == perRank })
        // Real samples (the first realSampleCount of each shard) are each index exactly once.
        var real: [Int] = []
        for r in 0..<S {
            let count = DistributedSampler(indices: indices, worldSize: S, rank: r, seed: 3).realSampleCount
            real += parts[r].prefix(count)
        }
        #expect(real.sorted() == indices)
        // The padding repeats indices from the list.
        #expect(Set(parts.joined()).isSubset(of: Set(indices)))
    }

    @Test(arguments: [2, 3, 4])
    func dropLastShardsAreDisjoint(worldSize S: Int) {
        let parts = shards(Array(0..<103), worldSize: S, dropLast: true)
        #expect(parts.allSatisfy { $0.count == 103 / S })
        let all = Array(parts.joined())
        #expect(Set(all).count == all.count)
    }

    @Test func orderIsTheSeededPermutation() {
        // The contract other code (checkpoints, the trainer's tests) relies on.
        let indices = Array(100..<150)
        let sampler = DistributedSampler(indices: indices, seed: 11)
        var rng = RandomGenerator(seed: 11, stream: RandomGenerator.Stream.dataOrder, 6)
        #expect(sampler.epochOrder(6) == rng.permutation(50).map { indices[$0] })
    }

    @Test func deterministicPerSeedAndEpoch() {
        let indices = Array(0..<200)
        #expect(shards(indices, worldSize: 3, seed: 5, epoch: 2) == shards(indices, worldSize: 3, seed: 5, epoch: 2))
        #expect(shards(indices, worldSize: 3, seed: 5, epoch: 2) != shards(indices, worldSize: 3, seed: 5, epoch: 3))
        #expect(shards(indices, worldSize: 3, seed: 5, epoch: 2) != shards(indices, worldSize: 3, seed: 6, epoch: 2))
        let first = DistributedSampler(indices: indices, seed: 5).epochOrder(0)
        #expect(first != indices, "shuffled order should differ from the list order")
        #expect(first.sorted() == indices)
    }

    @Test func noShuffleKeepsListOrderEveryEpoch() {
        let s = DistributedSampler(indices: [4, 2, 9], shuffle: false)
        #expect(s.epochOrder(0) == [4, 2, 9] && s.epochOrder(5) == [4, 2, 9])
    }
}
