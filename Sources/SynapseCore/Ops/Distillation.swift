#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The knowledge-distillation loss of Hinton, Vinyals & Dean, "Distilling the Knowledge in a
/// Neural Network" (arXiv:1503.02531): how far the student's softened prediction is from the
/// teacher's softened prediction,
///
///     loss_n = T² · KL(p_n ‖ q_n) = T² · Σ_j p_nj · (log p_nj − log q_nj),
///     q_n = softmax(x_n / T),
///
/// averaged (or summed) over the N rows. `p` is the teacher's softmax at the same
/// temperature T, given as probabilities (an ensemble's averaged probabilities work too).
/// PyTorch writes the same value as `T*T * F.kl_div(F.log_softmax(x/T, 1), p, reduction="batchmean")`.
///
/// A temperature above 1 flattens both distributions, so the student also learns how the
/// teacher ranks the wrong classes ("a shirt looks more like a T-shirt than like a boot").
/// The gradient is `∂loss_n/∂x_nj = T · (q_nj − p_nj)`: the T² factor keeps its size about
/// independent of T, so the loss can be mixed with the ordinary cross-entropy at a fixed weight.
/// The loss is 0 exactly when the student matches the teacher; entries with p = 0 add nothing.
/// - Shape: logits [N, C], teacherProbabilities [N, C] (rows summing to 1) → [1].
public func distillationLoss(logits: Tensor, teacherProbabilities p: Tensor, temperature T: Float,
                             reduction: Reduction = .mean) -> Tensor {
    precondition(logits.rank == 2, "distillationLoss: logits must be [N, C], got \(logits.shape)")
    precondition(p.shape == logits.shape, "distillationLoss: teacher probabilities \(p.shape) differ from logits \(logits.shape)")
    precondition(T > 0, "distillationLoss: temperature \(T) must be positive")
    let N = logits.shape[0], C = logits.shape[1]
    let loss = Tensor(uninitializedShape: [1])
    var total: Double = 0
    for n in 0..<N {
        let row = logits.pointer + n * C, target = p.pointer + n * C
        // log q_j = x_j/T − logsumexp(x/T), computed around the row maximum.
        var m = -Float.infinity
        for j in 0..<C { m = max(m, row[j] / T) }
        var s: Float = 0
        for j in 0..<C { s += expf(row[j] / T - m) }
        let logZ = m + logf(s)
        var kl: Float = 0
        for j in 0..<C where target[j] > 0 {
            kl += target[j] * (logf(target[j]) - (row[j] / T - logZ))
        }
        total += Double(kl)
    }
    let norm: Float = reduction == .mean ? 1 / Float(max(N, 1)) : 1
    loss.pointer[0] = Float(total) * T * T * norm
    if isRecording(logits) {
        loss.record(inputs: [logits]) { _, dl in
            let g = dl.pointer[0] * norm * T   // T² · (1/T) from the chain rule through x/T
            let pp = p.pointer                 // keeps the teacher's tensor alive (see elementLoss)
            logits.accumulateGrad { dx in
                for n in 0..<N {
                    let row = logits.pointer + n * C, target = pp + n * C, d = dx.baseAddress! + n * C
                    var m = -Float.infinity
                    for j in 0..<C { m = max(m, row[j] / T) }
                    var s: Float = 0
                    for j in 0..<C { s += expf(row[j] / T - m) }
                    let inv = 1 / s
                    for j in 0..<C { d[j] += g * (expf(row[j] / T - m) * inv - target[j]) }
                }
            }
        }
    }
    return loss
}
