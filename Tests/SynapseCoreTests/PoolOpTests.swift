import Testing
import SynapseCore
import SynapseTestSupport

/// Naive pooling, written straight from PyTorch's definitions (one window at a time, padded
/// coordinates checked per tap) as the oracle for `maxPool2d` and `avgPool2d`.
private func naivePool(_ x: Tensor, kernel k: Size2D, stride s: Size2D, padding p: Size2D,
                       max isMax: Bool, countIncludePad: Bool = true) -> (shape: [Int], values: [Float]) {
    let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    let Hout = (H + 2 * p.height - k.height) / s.height + 1
    let Wout = (W + 2 * p.width - k.width) / s.width + 1
    var out: [Float] = []
    for n in 0..<N {
        for c in 0..<C {
            for oh in 0..<Hout {
                for ow in 0..<Wout {
                    var best = -Float.infinity, total = 0.0, real = 0
                    for i in 0..<k.height {
                        for j in 0..<k.width {
                            let ih = oh * s.height - p.height + i, iw = ow * s.width - p.width + j
                            guard ih >= 0 && ih < H && iw >= 0 && iw < W else { continue }
                            let v = x.pointer[((n * C + c) * H + ih) * W + iw]
                            best = max(best, v)
                            total += Double(v)
                            real += 1
                        }
                    }
                    out.append(isMax ? best : Float(total / Double(countIncludePad ? k.height * k.width : real)))
                }
            }
        }
    }
    return ([N, C, Hout, Wout], out)
}

/// A tensor whose values are a seeded shuffle of 0.1, 0.2, …: all distinct and 0.1 apart,
/// so a central difference (h = 0.01) never changes which element is a window's maximum.
private func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.reduce(1, *)
    let values = (0..<n).map { Float($0 + 1) * 0.1 - Float(n) * 0.05 }.shuffled(using: &rng)
    return Tensor(shape: shape, values: values)
}

@Suite struct PoolOpTests {
    /// A 4×4 matrix with a different maximum position in each 2×2 block.
    let known = Tensor(shape: [1, 1, 4, 4], values: [1, 2, 5, 3,
                                                    4, 0, 1, 7,
                                                    9, 8, 2, 2,
                                                    3, 6, 4, 1])

    @Test func maxPoolOfKnownMatrix() {
        // 2×2 blocks: {1,2,4,0} → 4 (at 4), {5,3,1,7} → 7 (at 7), {9,8,3,6} → 9 (at 8),
        // {2,2,4,1} → 4 (at 14). Backward sends each upstream value to that position.
        let x = known.copy()
        x.requiresGrad = true
        let y = maxPool2d(x, kernelSize: 2)
        #expect(y.shape == [1, 1, 2, 2])
        expectClose(y.scalars, [4, 7, 9, 4])
        y.backward(gradient: Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]))
        var expected = [Float](repeating: 0, count: 16)
        expected[4] = 1; expected[7] = 2; expected[8] = 3; expected[14] = 4
        expectClose(x.grad!.scalars, expected)
    }

    @Test func maxPoolTiesGoToTheFirstMaximum() {
        // All equal, 2×2 windows with stride 1 on 3×3: each window's first element (row-major)
        // wins, as in PyTorch: windows start at 0, 1, 3, 4. Overlapping windows add up.
        let x = Tensor(shape: [1, 1, 3, 3], repeating: 2)
        x.requiresGrad = true
        let y = maxPool2d(x, kernelSize: 2, stride: 1)
        expectClose(y.scalars, [2, 2, 2, 2])
        sum(y).backward()
        expectClose(x.grad!.scalars, [1, 1, 0, 1, 1, 0, 0, 0, 0])
        // The same rule on the unrolled 2×2, stride-2 path: the top-left pixel of each block.
        let flat = Tensor(shape: [1, 1, 2, 4], repeating: -3)
        flat.requiresGrad = true
        sum(maxPool2d(flat, kernelSize: 2)).backward()
        expectClose(flat.grad!.scalars, [1, 0, 1, 0, 0, 0, 0, 0])
    }

    @Test func maxPoolPadsWithMinusInfinity() {
        // All-negative 2×2 input, kernel 2, stride 2, padding 1: every window holds one real
        // pixel and three padded ones. Zero padding would return 0; −∞ padding returns the pixel.
        let x = Tensor(shape: [1, 1, 2, 2], values: [-1, -2, -3, -4])
        let y = maxPool2d(x, kernelSize: 2, padding: 1)
        #expect(y.shape == [1, 1, 2, 2])
        expectClose(y.scalars, [-1, -2, -3, -4])
    }

    @Test func maxPoolPropagatesNaN() {
        // PyTorch's rule: a NaN replaces the maximum (so a window holding one yields NaN) and
        // receives the gradient. Checked on the unrolled 2×2 path and on the general loop.
        let values: [Float] = [1, 2, 3, 4,
                               5, .nan, 7, 8,
                               9, 10, 11, 12,
                               13, 14, 15, 16]
        let x = Tensor(shape: [1, 1, 4, 4], values: values, requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2)
        #expect(y.scalars[0].isNaN)
        expectClose(Array(y.scalars[1...]), [8, 14, 16])
        sum(y).backward()
        #expect(x.grad!.scalars[5] == 1 && x.grad!.scalars[4] == 0)
        // 3×3 windows with stride 1: (1, 1) lies in all four, so all are NaN and the whole
        // gradient lands on it.
        x.grad = nil
        let z = maxPool2d(x, kernelSize: 3, stride: 1)
        #expect(z.scalars.allSatisfy { $0.isNaN })
        sum(z).backward()
        #expect(x.grad!.scalars[5] == 4 && x.grad!.scalars.reduce(0, +) == 4)
    }

    @Test func maxPoolHandlesInfinities() {
        // +∞ and −∞ in one window make the window's sum NaN without any NaN present: the
        // result must still be +∞ at its own position. An all −∞ window returns −∞ and, like
        // PyTorch, points at its first pixel.
        let x = Tensor(shape: [1, 1, 2, 4], values: [-.infinity, .infinity, -.infinity, -.infinity,
                                                     1, 2, -.infinity, -.infinity], requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2)
        #expect(y.scalars == [.infinity, -.infinity])
        y.backward(gradient: Tensor(shape: [1, 1, 1, 2], values: [1, 2]))
        #expect(x.grad!.scalars == [0, 1, 2, 0, 0, 0, 0, 0])
        let z = maxPool2d(x, kernelSize: [2, 3], stride: 1)   // general path
        #expect(z.scalars == [.infinity, .infinity])
    }

    @Test func maxPoolSpecialValuesAlongARow() {
        // One row of five 2×2 windows: window 1 holds a NaN, window 2 both infinities,
        // window 3 only −∞, window 4 a NaN in its last pixel.
        let top: [Float] = [1, 2, 5, .nan, -.infinity, .infinity, -.infinity, -.infinity, 8, 9]
        let bottom: [Float] = [3, 4, 6, 7, -.infinity, 0, -.infinity, -.infinity, 10, .nan]
        let x = Tensor(shape: [1, 1, 2, 10], values: top + bottom, requiresGrad: true)
        let y = maxPool2d(x, kernelSize: 2)
        let v = y.scalars
        #expect(v[0] == 4 && v[1].isNaN && v[2] == .infinity && v[3] == -.infinity && v[4].isNaN, "\(v)")
        y.backward(gradient: Tensor(shape: [1, 1, 1, 5], values: [1, 2, 3, 4, 5]))
        var expected = [Float](repeating: 0, count: 20)
        expected[11] = 1; expected[3] = 2; expected[5] = 3; expected[6] = 4; expected[19] = 5
        #expect(x.grad!.scalars == expected)
    }

    @Test func avgPoolOfKnownMatrix() {
        // 2×2 blocks: (1+2+4+0)/4 = 1.75, (5+3+1+7)/4 = 4, (9+8+3+6)/4 = 6.5, (2+2+4+1)/4 = 2.25.
        // Backward: each upstream value is shared equally by its block's four pixels.
        let x = known.copy()
        x.requiresGrad = true
        let y = avgPool2d(x, kernelSize: 2)
        expectClose(y.scalars, [1.75, 4, 6.5, 2.25])
        y.backward(gradient: Tensor(shape: [1, 1, 2, 2], values: [4, 8, 12, 16]))
        expectClose(x.grad!.scalars, [1, 1, 2, 2,
                                      1, 1, 2, 2,
                                      3, 3, 4, 4,
                                      3, 3, 4, 4])
    }

    @Test func avgPoolPaddingCountsOnlyWhenAsked() {
        // [1 2; 3 4], kernel 2, stride 2, padding 1: each window holds one real pixel.
        // count_include_pad = true (PyTorch's default) divides by 4; false divides by 1.
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        expectClose(avgPool2d(x, kernelSize: 2, padding: 1).scalars, [0.25, 0.5, 0.75, 1])
        expectClose(avgPool2d(x, kernelSize: 2, padding: 1, countIncludePad: false).scalars, [1, 2, 3, 4])
    }

    @Test func globalAvgPoolHandComputed() {
        // Two images × two channels of 2×2: means 2.5, 10, −1, 0.
        let x = Tensor(shape: [2, 2, 2, 2], values: [1, 2, 3, 4, 10, 10, 10, 10,
                                                     -1, -1, -1, -1, 5, -5, 2, -2])
        x.requiresGrad = true
        let y = globalAvgPool2d(x)
        #expect(y.shape == [2, 2])
        expectClose(y.scalars, [2.5, 10, -1, 0])
        y.backward(gradient: Tensor(shape: [2, 2], values: [4, 8, -4, 0]))
        expectClose(x.grad!.scalars, [1, 1, 1, 1, 2, 2, 2, 2, -1, -1, -1, -1, 0, 0, 0, 0])
    }

    @Test func poolingMatchesNaiveOracle() {
        let cases: [(shape: [Int], k: Size2D, s: Size2D?, p: Size2D)] = [
            ([2, 3, 7, 5], 2, nil, 0), ([1, 2, 7, 5], 3, 1, 1), ([3, 1, 6, 9], 3, 2, 1),
            ([2, 2, 5, 8], [2, 3], [1, 2], [1, 1]), ([1, 4, 4, 4], 4, nil, 2), ([2, 1, 9, 7], [3, 1], [2, 1], [1, 0]),
        ]
        for (k, c) in cases.enumerated() {
            let x = randomTensor(c.shape, seed: UInt64(500 + k), low: -3, high: -1)   // all negative: padding must not win
            let stride = c.s ?? c.k
            let what = "x \(c.shape) kernel \(c.k) stride \(stride) padding \(c.p)"
            let mx = maxPool2d(x, kernelSize: c.k, stride: c.s, padding: c.p)
            let mxRef = naivePool(x, kernel: c.k, stride: stride, padding: c.p, max: true)
            #expect(mx.shape == mxRef.shape, "\(what)")
            expectClose(mx.scalars, mxRef.values, what + " max")
            for includePad in [true, false] {
                let av = avgPool2d(x, kernelSize: c.k, stride: c.s, padding: c.p, countIncludePad: includePad)
                let avRef = naivePool(x, kernel: c.k, stride: stride, padding: c.p, max: false, countIncludePad: includePad)
                #expect(av.shape == avRef.shape, "\(what)")
                expectClose(av.scalars, avRef.values, what + " avg countIncludePad \(includePad)")
            }
        }
    }

    // MARK: - Gradients

    @Test func maxPoolGradients() {
        let x = distinctValues([2, 2, 5, 6], seed: 600)
        expectGradientsMatch([x], "maxPool2d 2×2") { weightedSum(maxPool2d(x, kernelSize: 2), seed: 601) }
        expectGradientsMatch([x], "maxPool2d overlapping, padded") {
            weightedSum(maxPool2d(x, kernelSize: 3, stride: [1, 2], padding: 1), seed: 602)
        }
    }

    @Test func maxPoolGradientsWhenTheInputFeedsOtherOpsToo() {
        // x also feeds a second term, so the pooling's backward runs once into a fresh
        // gradient and once adding to one already there, depending on the order: both checked.
        // Width 9 leaves a last column that lies in no window.
        for shape in [[2, 3, 6, 9], [1, 2, 5, 8]] {
            let x = distinctValues(shape, seed: 603)
            expectGradientsMatch([x], "maxPool2d 2×2 first, \(shape)") {
                add(weightedSum(maxPool2d(x, kernelSize: 2), seed: 604), weightedSum(x, seed: 605))
            }
            expectGradientsMatch([x], "maxPool2d 2×2 second, \(shape)") {
                add(weightedSum(x, seed: 605), weightedSum(maxPool2d(x, kernelSize: 2), seed: 604))
            }
        }
    }

    @Test func avgPoolGradients() {
        let x = randomTensor([2, 2, 5, 6], seed: 610)
        expectGradientsMatch([x], "avgPool2d 2×2") { weightedSum(avgPool2d(x, kernelSize: 2), seed: 611) }
        for includePad in [true, false] {
            expectGradientsMatch([x], "avgPool2d padded, countIncludePad \(includePad)") {
                weightedSum(avgPool2d(x, kernelSize: [3, 2], stride: [2, 1], padding: 1, countIncludePad: includePad), seed: 612)
            }
        }
    }

    @Test func globalAvgPoolGradients() {
        let x = randomTensor([3, 2, 4, 5], seed: 620)
        expectGradientsMatch([x], "globalAvgPool2d") { weightedSum(globalAvgPool2d(x), seed: 621) }
    }

    @Test func inferenceMaxPoolMatchesTraining() {
        // Without recording, argmax indices are not kept for every plane; values are the same.
        let x = randomTensor([2, 3, 6, 6], seed: 630)
        x.requiresGrad = true
        let recorded = maxPool2d(x, kernelSize: 3, stride: 2, padding: 1).scalars
        #expect(noGrad { maxPool2d(x, kernelSize: 3, stride: 2, padding: 1).scalars } == recorded)
    }
}
