#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a loss over a batch is reduced to one number (PyTorch's `reduction`).
public enum Reduction: String, Sendable, Codable {
    /// Average over elements (PyTorch's default).
    case mean
    /// Sum over elements.
    case sum
}

/// Cross-entropy between class scores (logits) and integer class labels, PyTorch's
/// `F.cross_entropy`: `loss_n = -log softmax(x_n)[label_n]`, averaged (or summed) over N.
///
/// With `labelSmoothing` ε > 0 the target is `(1 - ε)·onehot(label) + ε/C` rather than the
/// one-hot vector (PyTorch's `label_smoothing`, Szegedy et al. arXiv:1512.00567), so
/// `loss_n = logsumexp(x_n) - Σ_j q_j x_nj`: the net is no longer pushed toward infinitely
/// confident logits.
///
/// Fused with log-softmax because the combined gradient is simply `softmax(x) - q`,
/// which is both cheaper and numerically safer than chaining the two ops.
/// - Shape: logits [N, C], labels N values in 0..<C → [1].
public func crossEntropy(logits: Tensor, labels: [Int32], reduction: Reduction = .mean,
                         labelSmoothing eps: Float = 0) -> Tensor {
    precondition(logits.rank == 2, "crossEntropy: logits must be [N, C], got \(logits.shape)")
    let N = logits.shape[0], C = logits.shape[1]
    precondition(labels.count == N, "crossEntropy: \(labels.count) labels for \(N) rows")
    precondition(eps >= 0 && eps <= 1, "crossEntropy: label smoothing \(eps) outside [0, 1]")
    let loss = Tensor(uninitializedShape: [1])
    let onLabel = 1 - eps, everywhere = eps / Float(C)   // q_j = onLabel·[j = label] + everywhere
    // softmax(x) [N, C], kept for the backward pass when there is one: computing it again there
    // took two more expf per logit (a language model's head: 231k logits per step).
    let recording = isRecording(logits)
    let probabilities: Tensor? = recording ? Tensor(uninitializedShape: [N, C]) : nil
    var total: Double = 0
    for n in 0..<N {
        let row = logits.pointer + n * C
        let label = Int(labels[n])
        precondition(label >= 0 && label < C, "crossEntropy: label \(label) outside 0..<\(C)")
        var m = -Float.infinity
        for j in 0..<C { m = max(m, row[j]) }
        var s: Float = 0, rowSum: Float = 0
        if let p = probabilities?.pointer.advanced(by: n * C) {
            for j in 0..<C { p[j] = expf(row[j] - m); s += p[j]; rowSum += row[j] }
            let inv = 1 / s
            for j in 0..<C { p[j] *= inv }
        } else {
            for j in 0..<C { s += expf(row[j] - m); rowSum += row[j] }
        }
        total += Double(m + logf(s) - onLabel * row[label] - everywhere * rowSum)
    }
    let norm: Float = reduction == .mean ? 1 / Float(max(N, 1)) : 1
    loss.pointer[0] = Float(total) * norm
    if let probabilities {
        loss.record(inputs: [logits]) { _, dl in
            let g = dl.pointer[0] * norm
            logits.storeOrAccumulateGrad { dx, fresh in
                for n in 0..<N {
                    let p = probabilities.pointer + n * C, d = dx.baseAddress! + n * C
                    if fresh {
                        for j in 0..<C { d[j] = g * (p[j] - everywhere) }
                    } else {
                        for j in 0..<C { d[j] += g * (p[j] - everywhere) }
                    }
                    d[Int(labels[n])] -= g * onLabel
                }
            }
        }
    }
    return loss
}

/// Mean squared error `mean((x - t)²)` (PyTorch `F.mse_loss`). The target gets no gradient.
/// - Shape: prediction and target of the same shape → [1].
public func mseLoss(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    elementLoss(prediction, target, reduction, name: "mseLoss",
                value: { d in d * d }, derivative: { d in 2 * d })
}

/// Mean absolute error `mean(|x - t|)` (PyTorch `F.l1_loss`); the derivative at 0 is 0.
/// - Shape: prediction and target of the same shape → [1].
public func maeLoss(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    elementLoss(prediction, target, reduction, name: "maeLoss",
                value: { d in abs(d) }, derivative: { d in d > 0 ? 1 : (d < 0 ? -1 : 0) })
}

/// A loss that is a sum of `value(x_i - t_i)`: MSE and MAE share this one rule.
func elementLoss(_ x: Tensor, _ t: Tensor, _ reduction: Reduction, name: String,
                 value: (Float) -> Float, derivative: @escaping (Float) -> Float) -> Tensor {
    precondition(x.shape == t.shape, "\(name): prediction \(x.shape) and target \(t.shape) differ")
    let out = Tensor(uninitializedShape: [1])
    var total: Double = 0
    let xp = x.pointer, tp = t.pointer
    for i in 0..<x.count { total += Double(value(xp[i] - tp[i])) }
    let norm: Float = reduction == .mean ? 1 / Float(max(x.count, 1)) : 1
    out.pointer[0] = Float(total) * norm
    if isRecording(x) {
        // The closure captures the tensors, not their pointers: a target built inline at the
        // call site would otherwise be freed, and its buffer reused, before backward runs.
        out.record(inputs: [x]) { _, dl in
            let g = dl.pointer[0] * norm
            let xp = x.pointer, tp = t.pointer
            x.accumulateGrad { dx in
                for i in 0..<dx.count { dx[i] += g * derivative(xp[i] - tp[i]) }
            }
        }
    }
    return out
}

/// Binary cross-entropy on probabilities, PyTorch `F.binary_cross_entropy`:
/// `-(t log p + (1 - t) log(1 - p))`, with each log clamped at -100 as PyTorch does so that
/// p = 0 or 1 gives a finite loss.
/// - Shape: probabilities and targets (in [0, 1]) of the same shape → [1].
public func binaryCrossEntropy(_ p: Tensor, _ t: Tensor, reduction: Reduction = .mean) -> Tensor {
    precondition(p.shape == t.shape, "binaryCrossEntropy: prediction \(p.shape) and target \(t.shape) differ")
    let out = Tensor(uninitializedShape: [1])
    var total: Double = 0
    let pp = p.pointer, tp = t.pointer
    for i in 0..<p.count {
        let lp = max(logf(pp[i]), -100), l1p = max(logf(1 - pp[i]), -100)
        total -= Double(tp[i] * lp + (1 - tp[i]) * l1p)
    }
    let norm: Float = reduction == .mean ? 1 / Float(max(p.count, 1)) : 1
    out.pointer[0] = Float(total) * norm
    if isRecording(p) {
        out.record(inputs: [p]) { _, dl in
            let g = dl.pointer[0] * norm
            let pp = p.pointer, tp = t.pointer   // keeps the target alive (see elementLoss)
            p.accumulateGrad { dp in
                // d/dp = (p - t) / (p (1 - p)), with the denominator kept away from 0
                // (PyTorch clamps it at 1e-12).
                for i in 0..<dp.count {
                    dp[i] += g * (pp[i] - tp[i]) / max(pp[i] * (1 - pp[i]), 1e-12)
                }
            }
        }
    }
    return out
}

/// Binary cross-entropy on logits, PyTorch `F.binary_cross_entropy_with_logits`:
/// `max(x, 0) - x t + log(1 + e^{-|x|})`, the stable form; gradient `sigmoid(x) - t`.
/// - Shape: logits and targets of the same shape → [1].
public func binaryCrossEntropyWithLogits(_ x: Tensor, _ t: Tensor, reduction: Reduction = .mean) -> Tensor {
    precondition(x.shape == t.shape, "binaryCrossEntropyWithLogits: logits \(x.shape) and target \(t.shape) differ")
    let out = Tensor(uninitializedShape: [1])
    var total: Double = 0
    let xp = x.pointer, tp = t.pointer
    for i in 0..<x.count {
        let v = xp[i]
        total += Double(max(v, 0) - v * tp[i] + log1pf(expf(-abs(v))))
    }
    let norm: Float = reduction == .mean ? 1 / Float(max(x.count, 1)) : 1
    out.pointer[0] = Float(total) * norm
    if isRecording(x) {
        out.record(inputs: [x]) { _, dl in
            let g = dl.pointer[0] * norm
            let xp = x.pointer, tp = t.pointer   // keeps the target alive (see elementLoss)
            x.accumulateGrad { dx in
                for i in 0..<dx.count {
                    let v = xp[i]
                    let s = v >= 0 ? 1 / (1 + expf(-v)) : expf(v) / (1 + expf(v))
                    dx[i] += g * (s - tp[i])
                }
            }
        }
    }
    return out
}
