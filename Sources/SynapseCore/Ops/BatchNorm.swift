/// Batch normalization, PyTorch's `F.batch_norm`: each channel c is normalized with a mean and
/// variance, then scaled and shifted, `y = (x - mean_c) / √(var_c + eps) · γ_c + β_c`.
///
/// - `training: true` uses the statistics of this batch (over N and every spatial position,
///   the BIASED variance, as PyTorch) and, when `runningMean`/`runningVar` are given, moves them
///   towards the batch's: `running = (1 - momentum) · running + momentum · batch`, with the
///   UNBIASED variance (`· M / (M - 1)`, M values per channel) for `runningVar`.
/// - `training: false` uses `runningMean` and `runningVar` (both required) and changes nothing.
///
/// With a `reducer`, batch statistics and the backward sums cover the global batch of all
/// replicas (SyncBatchNorm); see `BatchStatisticsReducer`.
///
/// Fused into one op because the backward rule through the mean and variance collapses to
/// two per-channel sums (below), far cheaper than differentiating a chain of primitives.
/// Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015 (arXiv:1502.03167).
///
/// - Shape: x [N, C] or [N, C, L] or [N, C, H, W]; weight, bias, runningMean, runningVar [C]
///   → same shape as x.
/// - Precondition: in training, more than one value per channel (PyTorch raises the same).
public func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?,
                      weight: Tensor?, bias: Tensor?, training: Bool,
                      momentum: Float = 0.1, eps: Float = 1e-5,
                      reducer: (any BatchStatisticsReducer)? = nil) -> Tensor {
    precondition(x.rank >= 2, "batchNorm: input must be [N, C, ...], got \(x.shape)")
    let N = x.shape[0], C = x.shape[1], S = x.count / max(N * C, 1)   // S: spatial size H·W
    for (name, t) in [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVar", runningVar)] {
        if let t { precondition(t.shape == [C], "batchNorm: \(name) \(t.shape) should be [\(C)] for input \(x.shape)") }
    }
    // stats row 0: the mean used, row 1: 1/√(var + eps); kept for backward (PyTorch's
    // save_mean / save_invstd) so x̂ is recomputed instead of stored.
    let stats = Tensor(uninitializedShape: [2, C])
    let mean = stats.pointer, invStd = stats.pointer + C
    let count: Double   // values per channel, over all replicas when synchronized
    if training {
        count = batchStatistics(x, N: N, C: C, S: S, reducer: reducer, mean: mean, invStd: invStd, eps: eps,
                                momentum: momentum, runningMean: runningMean, runningVar: runningVar)
    } else {
        count = Double(N * S)
        guard let runningMean, let runningVar else {
            preconditionFailure("batchNorm: evaluation mode needs runningMean and runningVar")
        }
        for c in 0..<C {
            mean[c] = runningMean.pointer[c]
            invStd[c] = Float(1 / (Double(runningVar.pointer[c]) + Double(eps)).squareRoot())
        }
    }

    // y = x · a + b per channel, with a = γ / σ and b = β - mean · a.
    let y = Tensor(uninitializedShape: x.shape)
    let xp = x.pointer, yp = y.pointer
    for c in 0..<C {
        let a = invStd[c] * (weight?.pointer[c] ?? 1)
        let b = (bias?.pointer[c] ?? 0) - mean[c] * a
        for n in 0..<N {
            // Pointers per row: `yp[offset + s]` adds an overflow check per element that keeps
            // the loop from vectorizing.
            let src = xp + (n * C + c) * S, dst = yp + (n * C + c) * S
            for s in 0..<S { dst[s] = src[s] * a + b }
        }
    }

    let inputs = [x] + [weight, bias].compactMap { $0 }
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        y.record(inputs: inputs) { _, dy in
            batchNormBackward(dy: dy, x: x, weight: weight, bias: bias, stats: stats,
                              batchStatistics: training, count: count, reducer: reducer)
        }
    }
    return y
}

/// Computes the per-channel batch mean and 1/√(var + eps) into `mean` and `invStd`, updates
/// the running statistics, and returns the number of values per channel (global when
/// synchronized). Sums are in Double: Σx² - (Σx)²/M loses nothing that matters in Double for
/// Float inputs, and it lets replicas combine their statistics with ONE all-reduce.
private func batchStatistics(_ x: Tensor, N: Int, C: Int, S: Int, reducer: (any BatchStatisticsReducer)?,
                             mean: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>, eps: Float,
                             momentum: Float, runningMean: Tensor?, runningVar: Tensor?) -> Double {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * C + 1) { sums in
        // sums: [Σx (C), Σx² (C), count]
        sums.initialize(repeating: 0)
        let xp = x.pointer
        for n in 0..<N {
            for c in 0..<C {
                let row = xp + (n * C + c) * S
                let (s, s2) = contiguousSumAndDot(row, row, shift: 0, count: S)   // Σx, Σx²
                sums[c] += s
                sums[C + c] += s2
            }
        }
        sums[2 * C] = Double(N * S)
        reducer?.sumAcrossReplicas(sums)
        let M = sums[2 * C]
        precondition(M > 1, "batchNorm: expected more than 1 value per channel when training, got input \(x.shape)")
        let m = Double(momentum)
        for c in 0..<C {
            let mu = sums[c] / M
            let variance = max(sums[C + c] / M - mu * mu, 0)   // biased: normalizes this batch
            mean[c] = Float(mu)
            invStd[c] = Float(1 / (variance + Double(eps)).squareRoot())
            if let runningMean {
                let r = runningMean.pointer
                r[c] = Float((1 - m) * Double(r[c]) + m * mu)
            }
            if let runningVar {
                let r = runningVar.pointer
                r[c] = Float((1 - m) * Double(r[c]) + m * variance * M / (M - 1))   // unbiased
            }
        }
        return M
    }
}

/// Backward of `batchNorm`. With x̂ = (x - mean)·invStd and M values per channel:
///
///     dβ = Σ dy,   dγ = Σ dy · x̂          (sums over this replica's N and spatial positions)
///     batch statistics:  dx = γ · invStd · (dy - Σdy / M - x̂ · Σ(dy · x̂) / M)
///     running statistics: dx = γ · invStd · dy   (mean and variance are constants)
///
/// The first dx form is the chain rule through mean and variance; with a reducer its two sums
/// run over all replicas (each replica's dy is its own loss's gradient, as in PyTorch's
/// SyncBatchNorm), while dγ and dβ stay local: the trainer all-reduces parameter gradients.
private func batchNormBackward(dy: Tensor, x: Tensor, weight: Tensor?, bias: Tensor?, stats: Tensor,
                               batchStatistics: Bool, count M: Double, reducer: (any BatchStatisticsReducer)?) {
    let N = x.shape[0], C = x.shape[1], S = x.count / max(N * C, 1)
    let xp = x.pointer, g = dy.pointer, mean = stats.pointer, invStd = stats.pointer + C
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * C) { sums in
        // sums: [Σdy (C), Σdy·x̂ (C)]
        sums.initialize(repeating: 0)
        for n in 0..<N {
            for c in 0..<C {
                let offset = (n * C + c) * S
                let (sdy, sdyx) = contiguousSumAndDot(g + offset, xp + offset, shift: mean[c], count: S)
                sums[c] += sdy
                sums[C + c] += sdyx * Double(invStd[c])
            }
        }
        bias?.accumulateGrad { db in for c in 0..<C { db[c] += Float(sums[c]) } }
        weight?.accumulateGrad { dw in for c in 0..<C { dw[c] += Float(sums[C + c]) } }
        guard x.requiresGrad else { return }   // same on every replica: no unmatched all-reduce
        if batchStatistics { reducer?.sumAcrossReplicas(sums) }
        x.storeOrAccumulateGrad { dx, fresh in
            for c in 0..<C {
                let k = invStd[c] * (weight?.pointer[c] ?? 1)
                let meanDy = batchStatistics ? Float(sums[c] / M) : 0
                let meanDyXhat = batchStatistics ? Float(sums[C + c] / M) : 0
                let mu = mean[c], inv = invStd[c]
                for n in 0..<N {
                    let offset = (n * C + c) * S
                    let xr = xp + offset, gr = g + offset, dxr = dx.baseAddress! + offset
                    if fresh {
                        for i in 0..<S { dxr[i] = k * (gr[i] - meanDy - (xr[i] - mu) * inv * meanDyXhat) }
                    } else {
                        for i in 0..<S { dxr[i] += k * (gr[i] - meanDy - (xr[i] - mu) * inv * meanDyXhat) }
                    }
                }
            }
        }
    }
}
