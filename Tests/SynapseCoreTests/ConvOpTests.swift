import Testing
import SynapseCore
import SynapseTestSupport

/// conv2d: hand-computed cases, agreement with the seven-loop `naiveConv2d` over a grid of
/// shapes, and central-difference gradients.
@Suite struct ConvOpTests {
    /// The 3×3 image 1…9 as [1, 1, 3, 3].
    let oneToNine = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    /// A 2×2 kernel of ones as [1, 1, 2, 2].
    let onesKernel = Tensor(shape: [1, 1, 2, 2], repeating: 1)

    @Test func kernelOfOnesSumsEachWindow() {
        // 1 2 3
        // 4 5 6   2×2 windows: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28
        // 7 8 9
        let y = conv2d(oneToNine, weight: onesKernel)
        #expect(y.shape == [1, 1, 2, 2])
        expectClose(y.scalars, [12, 16, 24, 28])
        // A bias is added to every output of its channel.
        let b = Tensor(shape: [1], values: [0.5])
        expectClose(conv2d(oneToNine, weight: onesKernel, bias: b).scalars, [12.5, 16.5, 24.5, 28.5])
    }

    @Test func paddingAndStrideHandComputed() {
        // Padding 1 makes the image 5×5 with a zero border; stride 2 takes windows at padded
        // rows/cols {0, 2}, i.e. image rows/cols {−1, 0} and {1, 2}:
        //   {−1,0}×{−1,0} → 1;  {−1,0}×{1,2} → 2+3 = 5;  {1,2}×{−1,0} → 4+7 = 11;  {1,2}×{1,2} → 28.
        // Hout = (3 + 2 − 1 − 1) / 2 + 1 = 2.
        let y = conv2d(oneToNine, weight: onesKernel, stride: 2, padding: 1)
        #expect(y.shape == [1, 1, 2, 2])
        expectClose(y.scalars, [1, 5, 11, 28])
    }

    @Test func dilationSpreadsTheTaps() {
        // Dilation 2 places the 2×2 taps at (0,0), (0,2), (2,0), (2,2): the corners 1+3+7+9 = 20.
        let y = conv2d(oneToNine, weight: onesKernel, dilation: 2)
        #expect(y.shape == [1, 1, 1, 1])
        expectClose(y.scalars, [20])
    }

    @Test func channelsAreSummedAndFiltersAreSeparate() {
        // Two input channels (1…9 and all 10s), two 1×1 filters: [1, 0] picks channel 0,
        // [0.5, 2] gives 0.5·x + 20. Output channel order follows the filter order.
        let x = Tensor(shape: [1, 2, 3, 3], values: Array(1...9).map(Float.init) + Array(repeating: 10, count: 9))
        let w = Tensor(shape: [2, 2, 1, 1], values: [1, 0, 0.5, 2])
        let y = conv2d(x, weight: w)
        #expect(y.shape == [1, 2, 3, 3])
        expectClose(y.scalars, Array(1...9).map(Float.init) + Array(1...9).map { 0.5 * Float($0) + 20 })
    }

    @Test func outputShapeFollowsPyTorchFormula() {
        // H = 7, W = 5, kernel 3, stride 2, padding 1, dilation 2:
        // Hout = (7 + 2 − 2·2 − 1) / 2 + 1 = 3, Wout = (5 + 2 − 4 − 1) / 2 + 1 = 2.
        let y = conv2d(Tensor.zeros([2, 3, 7, 5]), weight: Tensor.zeros([4, 3, 3, 3]),
                       stride: 2, padding: 1, dilation: 2)
        #expect(y.shape == [2, 4, 3, 2])
        // Rectangular everything: H = 9, kH = 3, sh = 2, ph = 2, dh = 1 → (9 + 4 − 2 − 1) / 2 + 1 = 6;
        // W = 6, kW = 2, sw = 1, pw = 0, dw = 3 → (6 − 3 − 1) / 1 + 1 = 3.
        let z = conv2d(Tensor.zeros([1, 1, 9, 6]), weight: Tensor.zeros([1, 1, 3, 2]),
                       stride: [2, 1], padding: [2, 0], dilation: [1, 3])
        #expect(z.shape == [1, 1, 6, 3])
    }

    @Test func matchesNaiveConvolutionOverAGridOfShapes() {
        // Every combination of kernel, stride, padding and dilation (square and rectangular)
        // on two odd image sizes, with and without bias; channel and batch counts cycle
        // through 1…4 and 1…3 so that every value of each appears with every geometry family.
        let kernels: [Size2D] = [1, 3, 5, [3, 2]]
        let strides: [Size2D] = [1, 2, [2, 1]]
        let paddings: [Size2D] = [0, 1, 2, [1, 0]]
        let dilations: [Size2D] = [1, 2, [2, 1]]
        let images: [(h: Int, w: Int)] = [(7, 5), (6, 9)]
        var case_ = 0, checked = 0
        for k in kernels {
            for s in strides {
                for p in paddings {
                    for d in dilations {
                        for (h, w) in images {
                            for withBias in [false, true] {
                                case_ += 1
                                // Skip windows that do not fit the padded image (PyTorch errors too).
                                if d.height * (k.height - 1) + 1 > h + 2 * p.height
                                    || d.width * (k.width - 1) + 1 > w + 2 * p.width { continue }
                                let N = 1 + case_ % 3, Cin = 1 + case_ % 4, Cout = 1 + (case_ / 4) % 4
                                let seed = UInt64(case_) * 10
                                let x = randomTensor([N, Cin, h, w], seed: seed)
                                let wt = randomTensor([Cout, Cin, k.height, k.width], seed: seed + 1)
                                let b = withBias ? randomTensor([Cout], seed: seed + 2) : nil
                                let y = conv2d(x, weight: wt, bias: b, stride: s, padding: p, dilation: d)
                                let ref = naiveConv2d(x, weight: wt, bias: b, stride: s, padding: p, dilation: d)
                                let what = "x \(x.shape) w \(wt.shape) stride \(s) pad \(p) dil \(d) bias \(withBias)"
                                #expect(y.shape == ref.shape, "\(what)")
                                expectClose(y.scalars, ref.scalars, rtol: 1e-5, atol: 1e-5, what)
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 500, "only \(checked) shapes were checked")
    }

    @Test func sameValuesWithoutRecording() {
        // Under noGrad conv2d reuses one image's column buffer instead of keeping all.
        let x = randomTensor([3, 2, 6, 5], seed: 40), w = randomTensor([4, 2, 3, 3], seed: 41)
        w.requiresGrad = true
        let recorded = conv2d(x, weight: w, padding: 1).scalars
        let plain = noGrad { conv2d(x, weight: w, padding: 1).scalars }
        #expect(recorded == plain)
        expectClose(plain, naiveConv2d(x, weight: w, padding: 1).scalars, atol: 1e-5)
    }

    // MARK: - Gradients

    @Test func gradientsWithStrideAndPadding() {
        let x = randomTensor([2, 2, 5, 4], seed: 50), w = randomTensor([3, 2, 3, 3], seed: 51)
        let b = randomTensor([3], seed: 52)
        expectGradientsMatch([x, w, b], "conv2d stride 2 pad 1") {
            weightedSum(conv2d(x, weight: w, bias: b, stride: 2, padding: 1), seed: 53)
        }
    }

    @Test func gradientsWithDilationAndRectangularKernel() {
        let x = randomTensor([2, 3, 6, 7], seed: 60), w = randomTensor([2, 3, 2, 3], seed: 61)
        let b = randomTensor([2], seed: 62)
        expectGradientsMatch([x, w, b], "conv2d dilation 2, pad [2, 1], stride [1, 2]") {
            weightedSum(conv2d(x, weight: w, bias: b, stride: [1, 2], padding: [2, 1], dilation: 2), seed: 63)
        }
    }

    @Test func gradientsOfOneByOneKernel() {
        // 1×1, stride 1, no padding: conv2d multiplies x directly, without im2col.
        let x = randomTensor([2, 3, 4, 3], seed: 70), w = randomTensor([4, 3, 1, 1], seed: 71)
        let b = randomTensor([4], seed: 72)
        expectGradientsMatch([x, w, b], "conv2d 1×1") {
            weightedSum(conv2d(x, weight: w, bias: b), seed: 73)
        }
        expectClose(conv2d(x, weight: w, bias: b).scalars, naiveConv2d(x, weight: w, bias: b).scalars, atol: 1e-5)
    }

    @Test func gradientOfInputWithFrozenWeight() {
        // Weight not requiring a gradient: no columns are kept, only dx is computed.
        let x = randomTensor([2, 2, 5, 5], seed: 80), w = randomTensor([3, 2, 3, 3], seed: 81)
        expectGradientsMatch([x], "conv2d dx only") {
            weightedSum(conv2d(x, weight: w, padding: 2, dilation: 2), seed: 82)
        }
        #expect(w.grad == nil)
    }

    @Test func firstLayerSkipsInputGradientButNotWeightGradient() {
        // The image does not require a gradient: backward leaves x.grad nil, and dW and db
        // equal those computed when x does require one.
        let x = randomTensor([2, 1, 6, 6], seed: 90)
        let w = randomTensor([2, 1, 3, 3], seed: 91), b = randomTensor([2], seed: 92)
        w.requiresGrad = true; b.requiresGrad = true
        weightedSum(conv2d(x, weight: w, bias: b, padding: 1), seed: 93).backward()
        #expect(x.grad == nil)
        let dW = w.grad!.scalars, db = b.grad!.scalars
        w.grad = nil; b.grad = nil
        x.requiresGrad = true
        weightedSum(conv2d(x, weight: w, bias: b, padding: 1), seed: 93).backward()
        #expect(x.grad != nil)
        expectClose(w.grad!.scalars, dW)
        expectClose(b.grad!.scalars, db)
    }

    @Test func handComputedWeightGradient() {
        // L = sum(conv2d(1…9, 2×2 kernel)): dL/dw[i, j] = sum of the image pixels that tap
        // (i, j) visits = the 2×2 block starting at (i, j): 12, 16, 24, 28 (same as the
        // forward windows); dL/db = number of outputs = 4. dL/dx[p] = number of windows
        // covering p: corners 1, edges 2, centre 4.
        let x = oneToNine.copy(), w = onesKernel.copy(), b = Tensor(shape: [1], values: [0])
        x.requiresGrad = true; w.requiresGrad = true; b.requiresGrad = true
        sum(conv2d(x, weight: w, bias: b)).backward()
        expectClose(w.grad!.scalars, [12, 16, 24, 28])
        expectClose(b.grad!.scalars, [4])
        expectClose(x.grad!.scalars, [1, 2, 1, 2, 4, 2, 1, 2, 1])
    }
}
