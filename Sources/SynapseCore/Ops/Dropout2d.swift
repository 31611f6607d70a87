/// Channel dropout, PyTorch's `F.dropout2d`: zeroes WHOLE channels (one draw per sample and
/// channel) with probability `p` and scales the kept ones by `1 / (1 - p)`.
///
/// Why whole channels: neighbouring pixels of a feature map are strongly correlated, so
/// dropping single elements barely regularizes a convolutional layer; dropping a feature map
/// does. Reference: Tompson et al., "Efficient Object Localization Using Convolutional
/// Networks", CVPR 2015 (arXiv:1411.4280).
///
/// The mask is drawn from `rng` (owned by the caller, one generator per purpose), in order
/// n = 0, c = 0, 1, …; then n = 1, … . The same rule serves [N, C, L] (dropout1d) and
/// [N, C, D, H, W] (dropout3d).
/// - Shape: x [N, C, ...] (at least 3 dimensions) → same.
public func dropout2d(_ x: Tensor, p: Float, rng: inout RandomGenerator) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout2d: p must be in [0, 1), got \(p)")
    precondition(x.rank >= 3, "dropout2d: input must be [N, C, H, W] (or [N, C, ...]), got \(x.shape)")
    if p == 0 { return x }
    let N = x.shape[0], C = x.shape[1], S = x.count / max(N * C, 1)
    let keepScale = 1 / (1 - p)
    let mask = Tensor(uninitializedShape: [N, C])   // 0 or 1/(1-p) per (sample, channel)
    let mp = mask.pointer
    for i in 0..<(N * C) { mp[i] = rng.nextUniform() < p ? 0 : keepScale }
    let y = Tensor(uninitializedShape: x.shape)
    let xp = x.pointer, yp = y.pointer
    for nc in 0..<(N * C) {
        let m = mp[nc], offset = nc * S
        for s in 0..<S { yp[offset + s] = xp[offset + s] * m }
    }
    if isRecording(x) {
        // The mask tensor is captured (not `mp`) so its buffer stays alive until backward.
        y.record(inputs: [x]) { _, dy in
            let g = dy.pointer, mp = mask.pointer
            x.accumulateGrad { dx in
                for nc in 0..<(N * C) {
                    let m = mp[nc], offset = nc * S
                    for s in 0..<S { dx[offset + s] += g[offset + s] * m }
                }
            }
        }
    }
    return y
}
