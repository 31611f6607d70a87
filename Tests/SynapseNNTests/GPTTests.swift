import Foundation
import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// The GPT model: names and weight tying, GPT-2's initialization, causality, gradients through
/// the whole model (the tied table receiving both uses), and generation with key/value caches
/// giving the same logits as the full forward pass.
@Suite struct GPTTests {
    /// A tiny model: V 7, context 6, width 8, 2 blocks of 2 heads.
    static func tiny(tied: Bool = true, positions: PositionEmbedding.Kind = .learned, seed: UInt64 = 5) -> GPT {
        var rng = RandomGenerator(seed: seed)
        return GPT(vocabularySize: 7, context: 6, width: 8, layers: 2, heads: 2, positions: positions,
                   tiedEmbeddings: tied, activation: { GELUTanh() }, rng: &rng)
    }

    static var ids: Tensor { Tensor(shape: [2, 5], values: [0, 3, 6, 2, 2, 5, 1, 1, 4, 0]) }

    @Test func namesFollowThePeerAndTheTiedHeadIsTheEmbedding() {
        let tied = Self.tiny()
        let names = tied.namedParameters().map(\.name)
        #expect(names.prefix(2) == ["tok.weight", "pos.weight"])
        #expect(names.contains("blocks.1.ln1.weight") && names.contains("blocks.0.qkv.weight") && names.contains("blocks.1.fc2.bias"))
        #expect(names.suffix(2) == ["ln.weight", "ln.bias"] && !names.contains("head.weight"))
        let untied = Self.tiny(tied: false)
        #expect(untied.namedParameters().map(\.name).last == "head.weight")
        #expect(untied.parameterCount == tied.parameterCount + 7 * 8)
        // 2 blocks × (2 LayerNorms 2·(8+8) + qkv 8·24+24 + proj 8·8+8 + fc 8·32+32 + fc2 32·8+8) + tok 56 + pos 48 + ln 16
        #expect(tied.parameterCount == 2 * (32 + 216 + 72 + 288 + 264) + 56 + 48 + 16)
        let sinusoidal = Self.tiny(positions: .sinusoidal)
        #expect(!sinusoidal.namedParameters().map(\.name).contains("pos.weight"))
    }

    @Test func gpt2Initialization() {
        var rng = RandomGenerator(seed: 9)
        let model = GPT(vocabularySize: 50, context: 64, width: 64, layers: 8, heads: 4, activation: { GELUTanh() }, rng: &rng)
        func sd(_ name: String) -> Double {
            let v = model.namedParameters().first { $0.name == name }!.tensor.scalars.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        }
        // qkv: 12 288 draws of N(0, 0.02): the sample sd is within 3 % of 0.02 (≈ 4.7 sd of the estimate).
        #expect(abs(sd("blocks.0.qkv.weight") - 0.02) < 0.0006)
        #expect(abs(sd("tok.weight") - 0.02) < 0.001)
        // Residual projections: 0.02 / √(2·8) = 0.005.
        #expect(abs(sd("blocks.3.proj.weight") - 0.005) < 0.0003)
        #expect(abs(sd("blocks.7.fc2.weight") - 0.005) < 0.0002)
        let params = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor.scalars) })
        #expect(params["blocks.2.fc.bias"]!.allSatisfy { $0 == 0 } && params["ln.bias"]!.allSatisfy { $0 == 0 })
        #expect(params["blocks.2.ln2.weight"]!.allSatisfy { $0 == 1 })
    }

    @Test func logitsOfAPositionDependOnlyOnThatPositionAndEarlierOnes() {
        let model = Self.tiny()
        let base = noGrad { model(Self.ids) }.scalars                   // [B·T, V] = [10, 7]
        let changed = Tensor(shape: [2, 5], values: Self.ids.scalars)
        changed.pointer[3] = 5                                            // sequence 0, position 3
        let after = noGrad { model(changed) }.scalars
        let V = 7
        #expect(Array(after[0..<(3 * V)]) == Array(base[0..<(3 * V)]), "positions 0–2 must not see position 3")
        #expect(Array(after[(3 * V)..<(5 * V)]) != Array(base[(3 * V)..<(5 * V)]))
        #expect(Array(after[(5 * V)...]) == Array(base[(5 * V)...]), "the other sequence is untouched")
    }

    @Test func gradientsThroughTheWholeModelIncludingTheTiedTable() {
        for tied in [true, false] {
            let model = Self.tiny(tied: tied, seed: 11)
            // Larger weights than GPT-2's 0.02 so every path (attention included) moves the loss.
            var rng = RandomGenerator(seed: 12)
            for (_, t) in model.namedParameters() where t.rank == 2 {
                for i in 0..<t.count { t.pointer[i] = rng.nextUniform(-0.5, 0.5) }
            }
            let params = model.namedParameters().map(\.tensor)
            expectGradientsMatch(params, h: 3e-3, rtol: 3e-2, atol: 2e-3, "GPT tied \(tied)") {
                weightedSum(model(Self.ids), seed: 13)
            }
        }
    }

    @Test func cachedGenerationGivesTheFullForwardsLogits() {
        for positions in PositionEmbedding.Kind.allCases {
            let model = Self.tiny(positions: positions, seed: 21)
            let sequence: [Float] = [3, 0, 6, 6, 1, 2]
            let full = noGrad { model(Tensor(shape: [1, 6], values: sequence)) }.scalars   // [6, 7]
            // One token at a time, then a chunk of 2 and one of 4.
            var caches = model.makeCaches()
            var stepped: [Float] = []
            for t in 0..<6 {
                stepped += noGrad { model.forward(Tensor(shape: [1, 1], values: [sequence[t]]), caches: caches) }.scalars
            }
            expectClose(stepped, full, rtol: 1e-4, atol: 1e-5, "one at a time, \(positions)")
            caches = model.makeCaches()
            let first = noGrad { model.forward(Tensor(shape: [1, 2], values: Array(sequence[0..<2])), caches: caches) }.scalars
            let rest = noGrad { model.forward(Tensor(shape: [1, 4], values: Array(sequence[2...])), caches: caches) }.scalars
            expectClose(first + rest, full, rtol: 1e-4, atol: 1e-5, "in chunks, \(positions)")
            #expect(caches.allSatisfy { $0.length == 6 })
        }
    }

    @Test func sinusoidalPositionsAreVaswanisTable() {
        var rng = RandomGenerator(seed: 1)
        let pe = PositionEmbedding(kind: .sinusoidal, maxLength: 3, dimension: 4, rng: &rng).table.scalars
        // PE[t, 2i] = sin(t / 10000^(2i/4)), PE[t, 2i+1] = cos(…): i = 0 → t, i = 1 → t / 100.
        let expected: [Float] = [0, 1, 0, 1,
                                 Float(sin(1.0)), Float(cos(1.0)), Float(sin(0.01)), Float(cos(0.01)),
                                 Float(sin(2.0)), Float(cos(2.0)), Float(sin(0.02)), Float(cos(0.02))]
        expectClose(pe, expected, rtol: 1e-6, atol: 1e-7)
    }

    @Test func addingPositionsByHandAndItsGradient() {
        let x = Tensor(shape: [2, 2, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        let table = Tensor(shape: [4, 3], values: [0.1, 0.2, 0.3, 1, 2, 3, 10, 20, 30, 100, 200, 300])
        // offset 1: rows 1 and 2 of the table, added to both sequences.
        #expect(addingPositions(x, table: table, offset: 1).scalars == [2, 4, 6, 14, 25, 36, 8, 10, 12, 20, 31, 42])
        let xs = randomTensor([3, 2, 4], seed: 3), ts = randomTensor([5, 4], seed: 4)
        expectGradientsMatch([xs, ts], "addingPositions") { weightedSum(addingPositions(xs, table: ts, offset: 2), seed: 5) }
    }
}
