import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

@Suite struct EmbeddingLayerTests {
    @Test func parameterNameShapeAndStandardNormalInit() {
        // 1000 × 20 = 20 000 draws from N(0, 1): mean within ±0.03 (4.2 sd), sd within 1 ± 0.03.
        var rng = RandomGenerator(seed: 30)
        let model = Sequential(named: [("embed", Embedding(vocabularySize: 1000, dimension: 20, rng: &rng))])
        #expect(model.namedParameters().map(\.name) == ["embed.weight"])
        let w = model.namedParameters()[0].tensor
        #expect(w.shape == [1000, 20])
        let v = w.scalars.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        #expect(abs(mean) < 0.03 && abs(sd - 1) < 0.03, "mean \(mean), sd \(sd)")
    }

    @Test func forwardIsTheLookupAndFeedsARecurrentLayer() {
        var rng = RandomGenerator(seed: 31)
        let embed = Embedding(vocabularySize: 6, dimension: 3, rng: &rng)
        let ids = Tensor(shape: [2, 4], values: [0, 5, 5, 2, 1, 1, 3, 4])
        let vectors = embed(ids)
        #expect(vectors.shape == [2, 4, 3])
        #expect(vectors.scalars == embedding(ids: ids, weight: embed.weight).scalars)
        let lstm = LSTM(inputSize: 3, hiddenSize: 2, rng: &rng)
        sum(lstm(vectors)).backward()
        let grad = embed.weight.grad!.scalars
        #expect(grad[0..<3].contains { $0 != 0 } && grad[15..<18].contains { $0 != 0 }, "used rows get gradient")
    }
}
