/// Elementwise sum of two tensors of the same shape.
///
/// Backward hands the output's gradient to both inputs. A Transformer's residual stream
/// (`x + attention(x)`, `x + mlp(x)`) runs it twice per block on [B, T, C] activations, so an
/// input whose gradient is still unset gets a copy (one pass) instead of a zero-filled buffer
/// with the gradient added into it (two). Each input gets its own buffer, never `dc` itself:
/// the tape frees and reuses gradients, and another rule may add into either one later. When
/// `a` and `b` are the same tensor, the first copy makes its gradient and the second adds.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    let c = Tensor(uninitializedShape: a.shape)
    let ap = a.pointer, bp = b.pointer, cp = c.pointer
    for i in 0..<c.count { cp[i] = ap[i] + bp[i] }
    if isRecording(a, b) {
        c.record(inputs: [a, b]) { _, dc in
            let g = dc.pointer
            for input in [a, b] {
                input.storeOrAccumulateGrad { d, fresh in
                    let dp = d.baseAddress!
                    if fresh { dp.update(from: g, count: d.count) } else { for i in 0..<d.count { dp[i] += g[i] } }
                }
            }
        }
    }
    return c
}

/// Elementwise difference `a - b` of two tensors of the same shape.
public func subtract(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "subtract: shapes \(a.shape) and \(b.shape) differ")
    let c = Tensor(uninitializedShape: a.shape)
    let ap = a.pointer, bp = b.pointer, cp = c.pointer
    for i in 0..<c.count { cp[i] = ap[i] - bp[i] }
    if isRecording(a, b) {
        c.record(inputs: [a, b]) { _, dc in
            let g = dc.pointer
            a.accumulateGrad { da in for i in 0..<da.count { da[i] += g[i] } }
            b.accumulateGrad { db in for i in 0..<db.count { db[i] -= g[i] } }
        }
    }
    return c
}

/// Elementwise (Hadamard) product of two tensors of the same shape.
public func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "multiply: shapes \(a.shape) and \(b.shape) differ")
    let c = Tensor(uninitializedShape: a.shape)
    let ap = a.pointer, bp = b.pointer, cp = c.pointer
    for i in 0..<c.count { cp[i] = ap[i] * bp[i] }
    if isRecording(a, b) {
        c.record(inputs: [a, b]) { _, dc in
            let g = dc.pointer, ap = a.pointer, bp = b.pointer   // from the tensors, which stay alive
            a.accumulateGrad { da in for i in 0..<da.count { da[i] += g[i] * bp[i] } }
            b.accumulateGrad { db in for i in 0..<db.count { db[i] += g[i] * ap[i] } }
        }
    }
    return c
}

/// Sum of all elements, as a one-element tensor of shape [1].
public func sum(_ x: Tensor) -> Tensor {
    let s = Tensor(uninitializedShape: [1])
    var acc: Double = 0   // Double: a Float accumulator drifts on large tensors.
    let xp = x.pointer
    for i in 0..<x.count { acc += Double(xp[i]) }
    s.pointer[0] = Float(acc)
    if isRecording(x) {
        s.record(inputs: [x]) { _, ds in
            let g = ds.pointer[0]
            x.accumulateGrad { dx in for i in 0..<dx.count { dx[i] += g } }
        }
    }
    return s
}

/// Mean of all elements, as a one-element tensor of shape [1].
public func mean(_ x: Tensor) -> Tensor {
    scale(sum(x), by: 1 / Float(max(x.count, 1)))
}
