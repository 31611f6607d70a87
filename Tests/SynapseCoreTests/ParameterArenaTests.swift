import Testing
import SynapseCore
import SynapseTestSupport

/// Parameters as views into one buffer, gradients landing in the gradient buffer.
@Suite struct ParameterArenaTests {
    /// A tiny layer's parameters moved into an arena: W [2, 3] = 1…6, b [2] = [0.5, -0.5].
    func makeArena() -> (ParameterArena, w: Tensor, b: Tensor) {
        let w = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let b = Tensor(shape: [2], values: [0.5, -0.5], requiresGrad: true)
        return (ParameterArena(parameters: [("fc.weight", w), ("fc.bias", b)]), w, b)
    }

    @Test func layoutAndValuesAreCopiedIn() {
        let (arena, w, b) = makeArena()
        #expect(arena.count == 8)
        #expect(arena.entries.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(arena.entries.map(\.offset) == [0, 6])
        #expect(Array(arena.values) == [1, 2, 3, 4, 5, 6, 0.5, -0.5])
        // The tensors are now views: writing the arena changes them, and vice versa.
        arena.values[0] = 42
        #expect(w.scalars[0] == 42)
        b.pointer[1] = 7
        #expect(arena.values[7] == 7)
        #expect(arena.tensor(named: "fc.bias") === b)
        #expect(arena.entry(named: "fc.weight")?.shape == [2, 3])
        #expect(arena.entry(named: "nope") == nil)
    }

    @Test func gradientsLandInTheGradientBuffer() {
        // L = sum(x Wᵀ + b) with x = [[1, 2, 3]]: dW[o, :] = x, db = [1, 1].
        let (arena, w, b) = makeArena()
        let x = Tensor(shape: [1, 3], values: [1, 2, 3])
        sum(linear(x, weight: w, bias: b)).backward()
        #expect(Array(arena.grads) == [1, 2, 3, 1, 2, 3, 1, 1])
        #expect(w.grad!.pointer == arena.grads.baseAddress!)
        // A second step accumulates; zeroGrads clears the whole buffer at once.
        sum(linear(x, weight: w, bias: b)).backward()
        #expect(Array(arena.grads) == [2, 4, 6, 2, 4, 6, 2, 2])
        arena.zeroGrads()
        #expect(arena.grads.allSatisfy { $0 == 0 })
        // The parameter tensors still point at the arena after backward.
        #expect(w.grad!.pointer == arena.grads.baseAddress!)
    }

    @Test func frozenParametersGetNoGradient() {
        let (arena, w, b) = makeArena()
        b.requiresGrad = false
        let x = Tensor(shape: [1, 3], values: [1, 2, 3])
        sum(linear(x, weight: w, bias: b)).backward()
        #expect(Array(arena.grads) == [1, 2, 3, 1, 2, 3, 0, 0])
        #expect(arena.trainableRanges == [0..<6])
        #expect(arena.trainableCount == 6)
        b.requiresGrad = true
        #expect(arena.trainableRanges == [0..<8])
    }
}
