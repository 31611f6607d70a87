/// Inverted dropout: zeroes each element with probability `p` and scales the survivors by
/// `1 / (1 - p)`, so the expected value is unchanged and evaluation needs no rescaling
/// (PyTorch `F.dropout`). Reference: Srivastava et al., JMLR 15 (2014).
///
/// The mask is drawn from `rng`, which the caller owns (one generator per purpose), so runs
/// are reproducible.
/// - Shape: any → same.
public func dropout(_ x: Tensor, p: Float, rng: inout RandomGenerator) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
    if p == 0 { return x }
    let keepScale = 1 / (1 - p)
    let mask = Tensor(uninitializedShape: x.shape)   // 0 or 1/(1-p) per element
    let mp = mask.pointer
    for i in 0..<x.count { mp[i] = rng.nextUniform() < p ? 0 : keepScale }
    let y = Tensor(uninitializedShape: x.shape)
    let xp = x.pointer, yp = y.pointer
    for i in 0..<x.count { yp[i] = xp[i] * mp[i] }
    if isRecording(x) {
        // Capture the mask tensor itself: capturing only `mp` would let the mask be freed
        // when this function returns and its buffer be reused (even as dx) before backward.
        y.record(inputs: [x]) { _, dy in
            let g = dy.pointer, mp = mask.pointer
            x.accumulateGrad { dx in for i in 0..<dx.count { dx[i] += g[i] * mp[i] } }
        }
    }
    return y
}
