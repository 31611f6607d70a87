import Testing
import SynapseCore
import SynapseTestSupport

/// crossEntropy, mseLoss, maeLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits.
@Suite struct LossOpTests {
    let ln2: Float = 0.6931472, ln3: Float = 1.0986123

    @Test func crossEntropyHandComputed() {
        // Row 0: logits [0, ln 2, ln 3] → softmax [1/6, 1/3, 1/2]; label 2 → -log(1/2) = ln 2.
        // Row 1: logits [ln 3, 0, ln 2] → softmax [1/2, 1/6, 1/3]; label 0 → ln 2.
        // Mean = ln 2, sum = 2 ln 2. Gradient (mean) = (softmax - onehot) / N.
        let logits = Tensor(shape: [2, 3], values: [0, ln2, ln3, ln3, 0, ln2], requiresGrad: true)
        let loss = crossEntropy(logits: logits, labels: [2, 0])
        #expect(loss.shape == [1])
        expectClose(loss.item(), ln2)
        loss.backward()
        expectClose(logits.grad!.scalars,
                    [1.0 / 12, 1.0 / 6, -0.25, -0.25, 1.0 / 12, 1.0 / 6], rtol: 1e-4)
        let summed = crossEntropy(logits: logits.detached(), labels: [2, 0], reduction: .sum)
        expectClose(summed.item(), 2 * ln2)
    }

    @Test func crossEntropyWithLabelSmoothingHandComputed() {
        // Row 0 of the test above, ε = 0.3, C = 3: target q = [0.1, 0.1, 0.8].
        // loss = -Σ q_j log p_j = 0.1 ln 6 + 0.1 ln 3 + 0.8 ln 2 = 0.9 ln 2 + 0.2 ln 3.
        // gradient = softmax - q = [1/6 - 0.1, 1/3 - 0.1, 1/2 - 0.8].
        let logits = Tensor(shape: [1, 3], values: [0, ln2, ln3], requiresGrad: true)
        let loss = crossEntropy(logits: logits, labels: [2], labelSmoothing: 0.3)
        expectClose(loss.item(), 0.9 * ln2 + 0.2 * ln3)
        loss.backward()
        expectClose(logits.grad!.scalars, [1.0 / 6 - 0.1, 1.0 / 3 - 0.1, -0.3], rtol: 1e-4)
        // ε = 0 is the plain loss; ε = 1 is the uniform target: the mean of -log p = (ln 6 + ln 3 + ln 2) / 3.
        expectClose(crossEntropy(logits: logits.detached(), labels: [2], labelSmoothing: 0).item(), ln2)
        expectClose(crossEntropy(logits: logits.detached(), labels: [2], labelSmoothing: 1).item(),
                    (2 * ln2 + 2 * ln3) / 3)
    }

    @Test func crossEntropyWithLabelSmoothingGradientCheck() {
        let x = randomTensor([4, 5], seed: 11, low: -2, high: 2)
        for reduction in [Reduction.mean, .sum] {
            expectGradientsMatch([x], "label smoothing \(reduction)") {
                crossEntropy(logits: x, labels: [0, 4, 2, 2], reduction: reduction, labelSmoothing: 0.15)
            }
        }
    }

    @Test func crossEntropyIsStableForHugeLogits() {
        // [1000, -1000]: label 0 → loss 0; label 1 → loss 2000 (log-sum-exp with max shift).
        // [-1000, -1000]: label 0 → ln 2. Gradient (sum) = softmax - onehot.
        let logits = Tensor(shape: [3, 2], values: [1000, -1000, 1000, -1000, -1000, -1000],
                            requiresGrad: true)
        let loss = crossEntropy(logits: logits, labels: [0, 1, 0], reduction: .sum)
        #expect(loss.item().isFinite)
        expectClose(loss.item(), 2000 + ln2)
        loss.backward()
        expectClose(logits.grad!.scalars, [0, 0, 1, -1, -0.5, 0.5])
    }

    @Test func mseAndMaeHandComputed() {
        // prediction [1, 2, 3], target [0, 2, 5] → d = [1, 0, -2].
        // MSE: (1 + 0 + 4)/3 = 5/3, sum 5, gradient 2d/3 = [2/3, 0, -4/3].
        // MAE: (1 + 0 + 2)/3 = 1, sum 3, gradient sign(d)/3 = [1/3, 0, -1/3] (0 at d = 0).
        let target = Tensor(shape: [3], values: [0, 2, 5])
        let p = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        let mse = mseLoss(p, target)
        expectClose(mse.item(), 5.0 / 3)
        mse.backward()
        expectClose(p.grad!.scalars, [2.0 / 3, 0, -4.0 / 3])
        expectClose(mseLoss(p, target, reduction: .sum).item(), 5)

        let q = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        let mae = maeLoss(q, target)
        expectClose(mae.item(), 1)
        mae.backward()
        expectClose(q.grad!.scalars, [1.0 / 3, 0, -1.0 / 3])
        expectClose(maeLoss(q, target, reduction: .sum).item(), 3)
    }

    @Test func lossTargetGetsNoGradient() {
        let target = Tensor(shape: [3], values: [0, 2, 5], requiresGrad: true)
        let p = Tensor(shape: [3], values: [1, 2, 3], requiresGrad: true)
        mseLoss(p, target).backward()
        #expect(target.grad == nil)
    }

    @Test func binaryCrossEntropyHandComputed() {
        // p = [0.5, 0.8], t = [1, 0]: -ln 0.5 = 0.6931472, -ln 0.2 = 1.6094379, mean 1.1512925.
        // dL/dp = (p - t) / (p (1 - p)) / N = [-0.5/0.25/2, 0.8/0.16/2] = [-1, 2.5].
        let p = Tensor(shape: [2], values: [0.5, 0.8], requiresGrad: true)
        let loss = binaryCrossEntropy(p, Tensor(shape: [2], values: [1, 0]))
        expectClose(loss.item(), 1.1512925)
        loss.backward()
        expectClose(p.grad!.scalars, [-1, 2.5])
    }

    @Test func binaryCrossEntropyClampsLogAtMinus100() {
        // p = 0 with t = 1 and p = 1 with t = 0: log 0 = -∞ is clamped to -100 (PyTorch),
        // so each term is 100 and the mean is 100.
        let p = Tensor(shape: [2], values: [0, 1], requiresGrad: true)
        let loss = binaryCrossEntropy(p, Tensor(shape: [2], values: [1, 0]))
        expectClose(loss.item(), 100)
        loss.backward()
        #expect(p.grad!.scalars.allSatisfy { $0.isFinite })
    }

    @Test func binaryCrossEntropyWithLogitsHandComputed() {
        // x = [0, ln 4], t = [1, 0]: σ = [0.5, 0.8] → same losses as above, mean ln(10)/2.
        // Gradient (σ(x) - t) / N = [-0.25, 0.4].
        let x = Tensor(shape: [2], values: [0, 1.3862944], requiresGrad: true)
        let loss = binaryCrossEntropyWithLogits(x, Tensor(shape: [2], values: [1, 0]))
        expectClose(loss.item(), 1.1512925)
        loss.backward()
        expectClose(x.grad!.scalars, [-0.25, 0.4])
    }

    @Test func binaryCrossEntropyWithLogitsIsStable() {
        // x = ±1000 with the wrong target costs |x| = 1000 each; with the right one, 0.
        let wrong = binaryCrossEntropyWithLogits(Tensor(shape: [2], values: [1000, -1000]),
                                                 Tensor(shape: [2], values: [0, 1]))
        expectClose(wrong.item(), 1000)
        let right = binaryCrossEntropyWithLogits(Tensor(shape: [2], values: [1000, -1000]),
                                                 Tensor(shape: [2], values: [1, 0]))
        expectClose(right.item(), 0)
    }

    @Test func gradientChecks() {
        let logits = randomTensor([4, 5], seed: 21, low: -3, high: 3)
        let labels: [Int32] = [4, 0, 2, 2]
        expectGradientsMatch([logits], "crossEntropy mean") { crossEntropy(logits: logits, labels: labels) }
        expectGradientsMatch([logits], "crossEntropy sum") {
            crossEntropy(logits: logits, labels: labels, reduction: .sum)
        }
        let target = randomTensor([3, 4], seed: 22)
        // prediction = target + something at least 0.1 away from 0 (the |d| kink).
        let pred = add(target, randomTensorAwayFromZero([3, 4], seed: 23))
        expectGradientsMatch([pred], "mseLoss") { mseLoss(pred, target) }
        expectGradientsMatch([pred], "mseLoss sum") { mseLoss(pred, target, reduction: .sum) }
        expectGradientsMatch([pred], "maeLoss") { maeLoss(pred, target) }
        let probs = randomTensor([3, 4], seed: 24, low: 0.1, high: 0.9)
        let soft = randomTensor([3, 4], seed: 25, low: 0, high: 1)
        expectGradientsMatch([probs], h: 1e-3, "binaryCrossEntropy") { binaryCrossEntropy(probs, soft) }
        let x = randomTensor([3, 4], seed: 26, low: -4, high: 4)
        expectGradientsMatch([x], "binaryCrossEntropyWithLogits") { binaryCrossEntropyWithLogits(x, soft) }
    }
}
