import Testing
import SynapseCore
import SynapseTestSupport

/// The tape: accumulation, freeing of intermediates, `noGrad`, which tensors get gradients.
@Suite struct AutogradTests {
    @Test func tensorUsedTwiceAccumulatesBothContributions() {
        // y = x ⊙ x: each factor contributes x, so dy/dx = 2x = [2, -4, 6].
        let x = Tensor(shape: [3], values: [1, -2, 3], requiresGrad: true)
        sum(multiply(x, x)).backward()
        expectClose(x.grad!.scalars, [2, -4, 6])
    }

    @Test func diamondGraphSumsBranches() {
        // z = 2x + x ⊙ x (x feeds two ops that meet again): dz/dx = 2 + 2x = [4, -2, 8].
        let x = Tensor(shape: [3], values: [1, -2, 3], requiresGrad: true)
        sum(add(scale(x, by: 2), multiply(x, x))).backward()
        expectClose(x.grad!.scalars, [4, -2, 8])
    }

    @Test func leafGradientsAccumulateAcrossBackwardCalls() {
        // As in PyTorch: a second backward adds to .grad until someone zeroes it.
        let x = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        sum(scale(x, by: 3)).backward()
        sum(scale(x, by: 3)).backward()
        expectClose(x.grad!.scalars, [6, 6])
    }

    @Test func backwardFreesIntermediates() {
        let x = Tensor(shape: [2, 2], values: [1, -2, 3, -4], requiresGrad: true)
        let h = relu(x)
        let loss = sum(h)
        #expect(h.gradNode != nil && loss.gradNode != nil)
        loss.backward()
        // Intermediates drop their records and gradients (buffers return to the pool) ...
        #expect(h.gradNode == nil && h.grad == nil)
        #expect(loss.gradNode == nil && loss.grad == nil)
        // ... the leaf keeps its gradient.
        expectClose(x.grad!.scalars, [1, 0, 1, 0])
    }

    @Test func noGradRecordsNothing() {
        let x = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        let y = noGrad { sum(multiply(x, x)) }
        #expect(!y.requiresGrad && y.gradNode == nil)
        expectClose(y.item(), 14)   // 1 + 4 + 9: the values are still computed
        #expect(!noGrad { GradMode.isEnabled })
        // Recording is back on outside the block.
        let z = sum(multiply(x, x))
        #expect(z.requiresGrad && z.gradNode != nil)
    }

    @Test func inputsThatDoNotRequireGradGetNone() {
        let x = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        let c = Tensor(shape: [2], values: [3, 4])
        sum(multiply(x, c)).backward()
        #expect(c.grad == nil)
        expectClose(x.grad!.scalars, [3, 4])
        // An op on tensors that need no gradient records nothing.
        #expect(multiply(c, c).gradNode == nil)
    }

    @Test func detachedStopsTheGradient() {
        // z = x ⊙ detached(x): only the first factor is differentiated → dz/dx = x.
        let x = Tensor(shape: [2], values: [3, -1], requiresGrad: true)
        sum(multiply(x, x.detached())).backward()
        expectClose(x.grad!.scalars, [3, -1])
    }

    @Test func explicitGradientSeedsNonScalarOutputs() {
        // backward(gradient: g) on y = 2x gives dx = 2g.
        let x = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        scale(x, by: 2).backward(gradient: Tensor(shape: [3], values: [1, 10, 100]))
        expectClose(x.grad!.scalars, [2, 20, 200])
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        // 20 000 ops in a row: the topological sort must be iterative.
        let x = Tensor(shape: [1], values: [1], requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = scale(y, by: 1) }
        y.backward()
        expectClose(x.grad!.item(), 1)
    }
}
