import Testing
import SynapseCore
import SynapseTestSupport

/// The buffer pool must make a steady-state training step allocation-free.
@Suite struct BufferPoolTests {
    @Test func freedBufferIsReusedForTheSameSize() {
        // An element count no other test uses, so no concurrent test can take the buffer.
        let n = 987_653
        var first: UnsafeMutablePointer<Float>?
        do {
            let s = Storage(uninitializedCount: n)
            first = s.base
        }
        let again = Storage(uninitializedCount: n)
        #expect(again.base == first)
        #expect(BufferPool.shared.bytesReserved >= n * MemoryLayout<Float>.stride)
    }

    @Test func mlpStepAllocatesNothingAfterWarmUp() {
        // A two-layer MLP with odd sizes: x [17, 23] → 43 → ReLU → 19 logits → cross-entropy.
        var rng = RandomGenerator(seed: 11)
        func param(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.nextUniform(-0.2, 0.2) },
                   requiresGrad: true)
        }
        let arena = ParameterArena(parameters: [
            ("fc1.weight", param([43, 23])), ("fc1.bias", param([43])),
            ("fc2.weight", param([19, 43])), ("fc2.bias", param([19])),
        ])
        let x = randomTensor([17, 23], seed: 12)
        let labels = (0..<17).map { Int32($0 % 19) }
        let t = arena.tensors
        func step() {
            arena.zeroGrads()
            let h = relu(linear(x, weight: t[0], bias: t[1]))
            crossEntropy(logits: linear(h, weight: t[2], bias: t[3]), labels: labels).backward()
        }
        step()   // warm-up: fills the pool with every buffer size the step needs
        // allocationCount is process-wide and other tests run concurrently, so a single
        // measurement could see their allocations. A step that allocates is never clean, so
        // one clean step out of many proves the pool serves every buffer of the step.
        var clean = false
        for _ in 0..<200 where !clean {
            let before = BufferPool.shared.allocationCount
            step()
            clean = BufferPool.shared.allocationCount == before
        }
        #expect(clean, "every MLP step after warm-up made new allocations")
        #expect(arena.grads.contains { $0 != 0 }, "the step must produce gradients")
    }
}
