import Testing
import SynapseCore
import SynapseTestSupport

@Suite struct TimeStepTests {
    @Test func picksOneStepOfEachSequence() {
        // x [2, 3, 2] = 0…11: sequence 0 rows [0, 1], [2, 3], [4, 5]; sequence 1 rows [6, 7], [8, 9], [10, 11].
        let x = Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init), requiresGrad: true)
        #expect(timeStep(x, 1).scalars == [2, 3, 8, 9])
        #expect(lastTimeStep(x).scalars == [4, 5, 10, 11])
        // The gradient lands on the last row of each sequence only.
        lastTimeStep(x).backward(gradient: Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        #expect(x.grad!.scalars == [0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4])
    }

    @Test func gradientMatchesCentralDifferences() {
        let x = randomTensor([3, 4, 2], seed: 50)
        expectGradientsMatch([x], "timeStep") {
            add(weightedSum(timeStep(x, 1), seed: 51), weightedSum(lastTimeStep(x), seed: 52))
        }
    }
}
