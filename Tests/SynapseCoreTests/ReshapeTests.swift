import Testing
import SynapseCore
import SynapseTestSupport

/// `reshaped(to:)`: same values in row-major order, shared storage, gradient flows back.
@Suite struct ReshapeTests {
    @Test func keepsRowMajorOrderAndInfersMinusOne() {
        // [[1, 2, 3], [4, 5, 6]] → [3, 2] = [[1, 2], [3, 4], [5, 6]]; -1 infers 6 / 2 = 3.
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let y = x.reshaped(to: [3, 2])
        #expect(y.shape == [3, 2])
        #expect(y.scalars == [1, 2, 3, 4, 5, 6])
        #expect(x.reshaped(to: [-1, 2]).shape == [3, 2])
        #expect(x.reshaped(to: [6, -1]).shape == [6, 1])
        #expect(x.reshaped(to: [-1]).shape == [6])
    }

    @Test func sharesStorage() {
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let y = x.reshaped(to: [4])
        x.pointer[3] = 40
        #expect(y.scalars == [1, 2, 3, 40])
    }

    @Test func gradientFlowsBackInOriginalShape() {
        // L = sum(reshaped(x) ⊙ w) → dL/dx = w read in x's shape.
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let w = Tensor(shape: [3, 2], values: [1, -1, 2, -2, 3, -3])
        sum(multiply(x.reshaped(to: [3, 2]), w)).backward()
        #expect(x.grad!.shape == [2, 3])
        #expect(x.grad!.scalars == [1, -1, 2, -2, 3, -3])
    }

    @Test func gradientCheck() {
        let x = randomTensor([2, 6], seed: 9)
        expectGradientsMatch([x], "reshaped") { weightedSum(x.reshaped(to: [3, 4]), seed: 10) }
    }
}
