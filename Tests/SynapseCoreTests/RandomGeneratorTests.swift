import Foundation
import Testing
import SynapseCore

/// xoshiro256** generator: exact sequences, determinism, checkpointable state, distributions.
@Suite struct RandomGeneratorTests {
    @Test func matchesIndependentImplementation() {
        // Values from Reference/make_reference.py (Python integers). The first ones are also
        // the published xoshiro256** test vector: 11520, 0, 1509978240, 1215971899390074240.
        var g = RandomGenerator(seed: 0)
        g.state = [1, 2, 3, 4]
        #expect((0..<5).map { _ in g.next() } == RandomReference.xoshiroFrom1234)
        #expect(RandomReference.xoshiroFrom1234.prefix(4) == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])

        var a = RandomGenerator(seed: 42)
        #expect(a.state == RandomReference.stateSeed42Stream0)
        #expect((0..<3).map { _ in a.next() } == RandomReference.outputsSeed42Stream0)
        var b = RandomGenerator(seed: 7, stream: 3)
        #expect(b.state == RandomReference.stateSeed7Stream3)
        #expect((0..<3).map { _ in b.next() } == RandomReference.outputsSeed7Stream3)
    }

    @Test func sameSeedSameSequenceDifferentSeedOrStreamDiffers() {
        func draws(_ g: RandomGenerator) -> [UInt64] { var g = g; return (0..<100).map { _ in g.next() } }
        let base = draws(RandomGenerator(seed: 9))
        #expect(base == draws(RandomGenerator(seed: 9)))
        #expect(base != draws(RandomGenerator(seed: 10)))
        #expect(base != draws(RandomGenerator(seed: 9, stream: RandomGenerator.Stream.dropout)))
        #expect(draws(RandomGenerator(seed: 9, stream: 2, 1)) != draws(RandomGenerator(seed: 9, stream: 2, 2)),
                "extra numbers (epoch, rank) must select different streams")
    }

    @Test func stateRoundTripsThroughCodable() throws {
        // A checkpoint saves the state mid-sequence; the restored generator continues it.
        var g = RandomGenerator(seed: 123, stream: RandomGenerator.Stream.dataOrder)
        for _ in 0..<10 { _ = g.next() }
        let json = try JSONEncoder().encode(g)
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: json)
        #expect(restored == g)
        #expect((0..<100).map { _ in restored.next() } == (0..<100).map { _ in g.next() })
    }

    @Test func corruptSavedStateIsRejected() {
        // Three numbers, or four zeros (xoshiro would then return 0 forever), must not decode.
        for json in [#"{"state":[1,2,3]}"#, #"{"state":[0,0,0,0]}"#, #"{"state":[1,2,3,4,5]}"#] {
            #expect(throws: DecodingError.self, "\(json)") {
                try JSONDecoder().decode(RandomGenerator.self, from: Data(json.utf8))
            }
        }
        #expect(throws: Never.self) {
            try JSONDecoder().decode(RandomGenerator.self, from: Data(#"{"state":[0,0,0,1]}"#.utf8))
        }
    }

    @Test func permutationIsAPermutation() {
        var g = RandomGenerator(seed: 5)
        for n in [0, 1, 2, 10, 1000] {
            let p = g.permutation(n)
            #expect(p.sorted() == Array(0..<n), "n = \(n)")
        }
        #expect(g.permutation(100) != Array(0..<100), "shuffled, not the identity")
    }

    @Test func uniformRangeMeanAndVariance() {
        // U[0, 1): mean 1/2, variance 1/12 ≈ 0.08333; 100 000 draws → sd of mean ≈ 0.0009.
        var g = RandomGenerator(seed: 6)
        let u = (0..<100_000).map { _ in Double(g.nextUniform()) }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let m = u.reduce(0, +) / Double(u.count)
        let v = u.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(u.count)
        #expect(abs(m - 0.5) < 0.005)
        #expect(abs(v - 1.0 / 12) < 0.002)
        let ranged = (0..<1000).map { _ in g.nextUniform(-3, -1) }
        #expect(ranged.allSatisfy { $0 >= -3 && $0 < -1 })
    }

    @Test func normalMeanAndVariance() {
        // N(0, 1) over 100 000 draws: sd of the mean ≈ 0.0032, of the variance ≈ 0.0045;
        // the bounds below are about 6 sd. About 68.27 % of draws lie within ±1.
        var g = RandomGenerator(seed: 7)
        let z = (0..<100_000).map { _ in Double(g.nextNormal()) }
        let m = z.reduce(0, +) / Double(z.count)
        let v = z.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(z.count)
        #expect(abs(m) < 0.02)
        #expect(abs(v - 1) < 0.03)
        let within1 = Double(z.filter { abs($0) < 1 }.count) / Double(z.count)
        #expect(abs(within1 - 0.6827) < 0.01)
        #expect(z.allSatisfy { $0.isFinite })
    }

    @Test func nextIntBelowIsUniformOverItsRange() {
        // 7 values × 7000 draws: each count ≈ 1000 ± 30 (sd); allow ± 150.
        var g = RandomGenerator(seed: 8)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[g.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }
}
