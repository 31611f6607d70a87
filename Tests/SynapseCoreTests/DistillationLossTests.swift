import Foundation
import Testing
import SynapseCore
import SynapseTestSupport

/// distillationLoss: T²·KL(p ‖ softmax(x/T)), against hand values, the same loss composed
/// from independent ops, and finite differences.
@Suite struct DistillationLossTests {
    let ln2: Float = 0.6931472, ln3: Float = 1.0986123

    @Test func handComputed() {
        // T = 2, logits [0, 2 ln 2, 2 ln 3] → x/T = [0, ln 2, ln 3] → q = [1/6, 1/3, 1/2].
        // Teacher p = [1/2, 1/2, 0]: KL = ½ ln(½ / ⅙) + ½ ln(½ / ⅓) = ½ ln 3 + ½ (ln 3 − ln 2);
        // the p = 0 entry adds nothing. loss = T² · KL = 4 · KL.
        // Gradient = T · (q − p) = 2 · [1/6 − 1/2, 1/3 − 1/2, 1/2] = [−2/3, −1/3, 1].
        let logits = Tensor(shape: [1, 3], values: [0, 2 * ln2, 2 * ln3], requiresGrad: true)
        let teacher = Tensor(shape: [1, 3], values: [0.5, 0.5, 0])
        let loss = distillationLoss(logits: logits, teacherProbabilities: teacher, temperature: 2)
        expectClose(loss.item(), 4 * (ln3 - 0.5 * ln2), rtol: 1e-5)
        loss.backward()
        expectClose(logits.grad!.scalars, [-2.0 / 3, -1.0 / 3, 1], rtol: 1e-4)
    }

    @Test func zeroWhenTheStudentMatchesTheTeacher() {
        // The teacher's probabilities are the student's own softened softmax: KL = 0, gradient 0.
        let logits = randomTensor([3, 5], seed: 31, low: -3, high: 3)
        logits.requiresGrad = true
        let T: Float = 3
        let p = softmax(scale(logits.detached(), by: 1 / T))
        let loss = distillationLoss(logits: logits, teacherProbabilities: p, temperature: T)
        expectClose(loss.item(), 0, atol: 1e-6)
        loss.backward()
        expectClose(logits.grad!.scalars, [Float](repeating: 0, count: 15), atol: 1e-6)
    }

    @Test func equalsTheLossComposedFromLogSoftmax() {
        // −T²·mean_n Σ_j p_nj log softmax(x_n/T)_j + T²·mean_n Σ_j p_nj log p_nj, built from
        // logSoftmax, multiply, sum and scale: the same value and gradient, reached another way.
        let x = randomTensor([4, 6], seed: 32, low: -4, high: 4)
        x.requiresGrad = true
        let p = softmax(randomTensor([4, 6], seed: 33, low: -2, high: 2))
        let T: Float = 2.5
        let fused = distillationLoss(logits: x, teacherProbabilities: p, temperature: T)
        fused.backward()
        let fusedGrad = x.grad!.scalars
        x.grad = nil
        let entropyTerm = p.scalars.reduce(Float(0)) { $0 + $1 * logf($1) }
        let crossTerm = sum(multiply(p, logSoftmax(scale(x, by: 1 / T))))
        let composed = scale(crossTerm, by: -T * T / 4)
        composed.backward()
        expectClose(fused.item(), composed.item() + T * T * entropyTerm / 4, rtol: 1e-5)
        expectClose(fusedGrad, x.grad!.scalars, rtol: 1e-4, atol: 1e-6)
    }

    @Test func gradientCheck() {
        let x = randomTensor([4, 5], seed: 34, low: -3, high: 3)
        let p = softmax(randomTensor([4, 5], seed: 35, low: -2, high: 2))
        for (T, reduction) in [(Float(1), Reduction.mean), (4, .mean), (4, .sum)] {
            expectGradientsMatch([x], "T \(T) \(reduction)") {
                distillationLoss(logits: x, teacherProbabilities: p, temperature: T, reduction: reduction)
            }
        }
    }

    @Test func temperatureOneIsCrossEntropyMinusTheTeachersEntropy() {
        // With a one-hot teacher KL(onehot ‖ q) = −log q_label: plain cross-entropy.
        let x = randomTensor([3, 4], seed: 36, low: -2, high: 2)
        let labels: [Int32] = [3, 0, 1]
        let onehot = Tensor.zeros([3, 4])
        for (n, l) in labels.enumerated() { onehot.pointer[n * 4 + Int(l)] = 1 }
        expectClose(distillationLoss(logits: x, teacherProbabilities: onehot, temperature: 1).item(),
                    crossEntropy(logits: x, labels: labels).item(), rtol: 1e-6)
    }
}
