import Testing
import SynapseCore
import SynapseTestSupport

/// add, subtract, multiply, sum, mean, scale: hand-computed values and gradient checks.
/// (Values against numpy are in ReferenceTests.)
@Suite struct ArithmeticOpTests {
    // a = [1, -2, 3.5], b = [0.5, 4, -1]
    let a = Tensor(shape: [3], values: [1, -2, 3.5])
    let b = Tensor(shape: [3], values: [0.5, 4, -1])

    @Test func handComputedForward() {
        // a + b = [1.5, 2, 2.5];  a - b = [0.5, -6, 4.5];  a ⊙ b = [0.5, -8, -3.5]
        expectClose(add(a, b).scalars, [1.5, 2, 2.5])
        expectClose(subtract(a, b).scalars, [0.5, -6, 4.5])
        expectClose(multiply(a, b).scalars, [0.5, -8, -3.5])
        // sum(a) = 1 - 2 + 3.5 = 2.5;  mean(a) = 2.5 / 3;  2a = [2, -4, 7]
        #expect(sum(a).shape == [1])
        expectClose(sum(a).item(), 2.5)
        expectClose(mean(a).item(), 2.5 / 3)
        expectClose(scale(a, by: 2).scalars, [2, -4, 7])
    }

    @Test func handComputedGradients() {
        // L = sum(a ⊙ b) → dL/da = b, dL/db = a.
        let x = a.copy(), y = b.copy()
        x.requiresGrad = true; y.requiresGrad = true
        sum(multiply(x, y)).backward()
        expectClose(x.grad!.scalars, [0.5, 4, -1])
        expectClose(y.grad!.scalars, [1, -2, 3.5])
        // L = sum(x - y) → dL/dx = 1, dL/dy = -1.
        let p = a.copy(), q = b.copy()
        p.requiresGrad = true; q.requiresGrad = true
        sum(subtract(p, q)).backward()
        expectClose(p.grad!.scalars, [1, 1, 1])
        expectClose(q.grad!.scalars, [-1, -1, -1])
        // L = mean(x) over 3 elements → dL/dx = 1/3 each.
        let m = a.copy(); m.requiresGrad = true
        mean(m).backward()
        expectClose(m.grad!.scalars, [1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    @Test func addGivesEachInputItsOwnGradient() {
        // L = sum(x + y) → dL/dx = dL/dy = 1, in two separate buffers (a shared one would
        // double-count once another rule adds into either).
        let x = a.copy(), y = b.copy()
        x.requiresGrad = true; y.requiresGrad = true
        sum(add(x, y)).backward()
        expectClose(x.grad!.scalars, [1, 1, 1])
        expectClose(y.grad!.scalars, [1, 1, 1])
        #expect(x.grad!.pointer != y.grad!.pointer)
    }

    @Test func addOfAnInputUsedTwiceCollectsBothContributions() {
        // x + x: dL/dx = 2·upstream. The residual x + f(x): dL/dx = upstream + f'(x)·upstream
        // (add's copy into a fresh gradient, then f's rule adding to it, or the other order).
        let x = randomTensor([2, 3], seed: 7)
        expectGradientsMatch([x], "x + x") { weightedSum(add(x, x), seed: 8) }
        expectGradientsMatch([x], "x + 3x") { weightedSum(add(x, scale(x, by: 3)), seed: 9) }
        expectGradientsMatch([x], "3x + x") { weightedSum(add(scale(x, by: 3), x), seed: 10) }
        x.grad = nil
        add(x, x).backward(gradient: Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        #expect(x.grad!.scalars == [2, 4, 6, 8, 10, 12])
        expectBackwardAccumulates(into: x, "add") { weightedSum(add(x, scale(x, by: 3)), seed: 11) }
    }

    @Test func sumAccumulatesInDoubleOnLargeTensors() {
        // 10⁷ × 0.1: a Float running sum drifts by ~1 % here; the exact value is 10⁶.
        let x = Tensor(shape: [10_000_000], repeating: 0.1)
        expectClose(sum(x).item(), 1_000_000, rtol: 1e-6)
    }

    @Test func gradientChecks() {
        let x = randomTensor([2, 3], seed: 1), y = randomTensor([2, 3], seed: 2)
        expectGradientsMatch([x, y], "add") { weightedSum(add(x, y), seed: 3) }
        expectGradientsMatch([x, y], "subtract") { weightedSum(subtract(x, y), seed: 4) }
        expectGradientsMatch([x, y], "multiply") { weightedSum(multiply(x, y), seed: 5) }
        expectGradientsMatch([x], "sum") { scale(sum(x), by: 1.7) }
        expectGradientsMatch([x], "mean") { scale(mean(x), by: -2.3) }
        expectGradientsMatch([x], "scale") { weightedSum(scale(x, by: -0.75), seed: 6) }
    }
}
