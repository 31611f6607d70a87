import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct EmbeddingOpTests {
    /// weight [4, 2] with rows [0, 1], [10, 11], [20, 21], [30, 31]: row v is [10v, 10v + 1].
    func table() -> Tensor {
        Tensor(shape: [4, 2], values: [0, 1, 10, 11, 20, 21, 30, 31], requiresGrad: true)
    }

    @Test func handComputedLookup() {
        // ids [[1, 3], [1, 0]] → [[row 1, row 3], [row 1, row 0]], shape [2, 2, 2].
        let y = embedding(ids: Tensor(shape: [2, 2], values: [1, 3, 1, 0]), weight: table())
        #expect(y.shape == [2, 2, 2])
        #expect(y.scalars == [10, 11, 30, 31, 10, 11, 0, 1])
    }

    @Test func repeatedIdsAccumulateTheirGradients() {
        // ids [2, 2, 0] with dy rows [1, 2], [3, 4], [5, 6]:
        // dW row 2 = [1 + 3, 2 + 4] = [4, 6]; row 0 = [5, 6]; rows 1 and 3 stay 0.
        let w = table()
        let y = embedding(ids: Tensor(shape: [3], values: [2, 2, 0]), weight: w)
        y.backward(gradient: Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]))
        #expect(w.grad!.scalars == [5, 6, 0, 0, 4, 6, 0, 0])
    }

    @Test func matchesTheOneHotDefinitionForwardAndBackward() {
        // Ids with repeats, shape [3, 5], V = 7, C = 4: same values and same dW as onehot · W.
        var rng = RandomGenerator(seed: 41)
        let ids = Tensor(shape: [3, 5], values: (0..<15).map { _ in Float(rng.nextInt(below: 7)) })
        let w1 = randomTensor([7, 4], seed: 42), w2 = w1.copy()
        w1.requiresGrad = true; w2.requiresGrad = true
        let fast = embedding(ids: ids, weight: w1), slow = embeddingReference(ids: ids, weight: w2)
        #expect(fast.shape == [3, 5, 4] && slow.shape == [3, 5, 4])
        expectClose(fast.scalars, slow.scalars, rtol: 0, atol: 0, "forward")
        let g = randomTensor([3, 5, 4], seed: 43)
        fast.backward(gradient: g)
        slow.backward(gradient: g)
        expectClose(w1.grad!.scalars, w2.grad!.scalars, rtol: 1e-6, atol: 1e-6, "dWeight")
    }

    @Test func gradientMatchesCentralDifferences() {
        let ids = Tensor(shape: [2, 3], values: [4, 0, 4, 1, 1, 2])
        let w = randomTensor([5, 3], seed: 44)
        expectGradientsMatch([w], "embedding") { weightedSum(embedding(ids: ids, weight: w), seed: 45) }
    }

    @Test func idsGetNoGradientAndTheGraphSkipsAFrozenTable() {
        let ids = Tensor(shape: [2], values: [1, 0], requiresGrad: true)
        let frozen = table()
        frozen.requiresGrad = false
        let y = embedding(ids: ids, weight: frozen)
        #expect(!y.requiresGrad, "nothing to differentiate: ids are not differentiable")
    }

    @Test func outOfRangeIdStopsWithAReadableMessage() async {
        await #expect(processExitsWith: .failure) {
            _ = embedding(ids: Tensor(shape: [2], values: [1, 4]), weight: Tensor.zeros([4, 2]))
        }
        await #expect(processExitsWith: .failure) {
            _ = embedding(ids: Tensor(shape: [1], values: [1.5]), weight: Tensor.zeros([4, 2]))
        }
    }
}
