/// The slice of a batch-first sequence at step `t`: `x[:, t, :]` in PyTorch.
///
/// A sequence classifier reads only the last hidden state of its recurrent layer
/// (`lastTimeStep`); backward scatters dy into row t of each sequence and leaves the other
/// steps' gradient untouched.
/// - Shape: x [B, T, C] → [B, C]. `t` in 0..<T (negative counts from the end, -1 = last).
public func timeStep(_ x: Tensor, _ t: Int) -> Tensor {
    precondition(x.rank == 3, "timeStep: input must be [B, T, C], got \(x.shape)")
    let B = x.shape[0], T = x.shape[1], C = x.shape[2]
    let step = t < 0 ? T + t : t
    precondition(step >= 0 && step < T, "timeStep: step \(t) is outside a sequence of length \(T)")
    let y = Tensor(uninitializedShape: [B, C])   // [B, C]
    let xp = x.pointer, yp = y.pointer
    for b in 0..<B { (yp + b * C).update(from: xp + (b * T + step) * C, count: C) }
    if isRecording(x) {
        y.record(inputs: [x]) { _, dy in
            x.accumulateGrad { dx in   // dx [B, T, C]: only row (b, step) of each sequence
                let g = dy.pointer
                for b in 0..<B {
                    let dst = dx.baseAddress! + (b * T + step) * C, src = g + b * C
                    for c in 0..<C { dst[c] += src[c] }
                }
            }
        }
    }
    return y
}

/// The hidden state after the last step of a batch-first sequence, `x[:, -1, :]`.
/// - Shape: x [B, T, C] → [B, C].
public func lastTimeStep(_ x: Tensor) -> Tensor { timeStep(x, -1) }
