#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax over the last dimension: `y_i = e^{x_i - max} / Σ_j e^{x_j - max}`.
/// Subtracting the row maximum keeps exp from overflowing and does not change the result.
///
/// Backward: `dx_i = y_i (dy_i - Σ_j dy_j y_j)`.
/// - Shape: [..., C] → [..., C].
public func softmax(_ x: Tensor) -> Tensor {
    let C = x.shape.last ?? 1, rows = x.count / max(C, 1)
    let y = Tensor(uninitializedShape: x.shape)
    for r in 0..<rows { softmaxRow(x.pointer + r * C, y.pointer + r * C, C) }
    if isRecording(x) {
        y.record(inputs: [x]) { y, dy in
            x.accumulateGrad { dx in
                for r in 0..<rows {
                    let yr = y.pointer + r * C, gr = dy.pointer + r * C
                    var dot: Float = 0
                    for j in 0..<C { dot += gr[j] * yr[j] }
                    for j in 0..<C { dx[r * C + j] += yr[j] * (gr[j] - dot) }
                }
            }
        }
    }
    return y
}

/// Log-softmax over the last dimension: `x_i - max - log Σ_j e^{x_j - max}`.
///
/// Backward: `dx_i = dy_i - softmax_i · Σ_j dy_j`.
/// - Shape: [..., C] → [..., C].
public func logSoftmax(_ x: Tensor) -> Tensor {
    let C = x.shape.last ?? 1, rows = x.count / max(C, 1)
    let y = Tensor(uninitializedShape: x.shape)
    for r in 0..<rows { logSoftmaxRow(x.pointer + r * C, y.pointer + r * C, C) }
    if isRecording(x) {
        y.record(inputs: [x]) { y, dy in
            x.accumulateGrad { dx in
                for r in 0..<rows {
                    let yr = y.pointer + r * C, gr = dy.pointer + r * C
                    var total: Float = 0
                    for j in 0..<C { total += gr[j] }
                    for j in 0..<C { dx[r * C + j] += gr[j] - expf(yr[j]) * total }
                }
            }
        }
    }
    return y
}

/// Writes the softmax of one row of `n` values.
@inlinable func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for j in 0..<n { m = max(m, x[j]) }
    var s: Float = 0
    for j in 0..<n { let e = expf(x[j] - m); y[j] = e; s += e }
    let inv = 1 / s
    for j in 0..<n { y[j] *= inv }
}

/// Writes the log-softmax of one row of `n` values.
@inlinable func logSoftmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for j in 0..<n { m = max(m, x[j]) }
    var s: Float = 0
    for j in 0..<n { s += expf(x[j] - m) }
    let lse = m + logf(s)
    for j in 0..<n { y[j] = x[j] - lse }
}
