/// The direct definition of a 2-D convolution: seven nested loops, no im2col, no BLAS.
///
/// This is the teaching reference for `conv2d` (read it to see what a convolution layer
/// computes) and its test oracle; benchmarks use it as the baseline that im2col + GEMM beats.
/// Forward only, never recorded on the tape; sums in Double so the oracle's rounding error is
/// far below `conv2d`'s.
///
///     out[n, co, oh, ow] = bias[co] + Σ_{ci, i, j} weight[co, ci, i, j]
///                          · x[n, ci, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
///
/// Taps that fall outside the image read zero (the padding).
/// Reference: PyTorch `torch.nn.Conv2d` documentation.
///
/// - Shape: x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout]
///   → [N, Cout, Hout, Wout], Hout = (H + 2·ph − dh·(kH − 1) − 1) / sh + 1 (same for W).
public func naiveConv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                        stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                 "naiveConv2d: input \(x.shape) and weight \(weight.shape) do not match")
    let N = x.shape[0], Cin = x.shape[1], H = x.shape[2], W = x.shape[3]
    let Cout = weight.shape[0], kH = weight.shape[2], kW = weight.shape[3]
    let g = ConvGeometry(channels: Cin, height: H, width: W, kernel: Size2D(kH, kW),
                         stride: stride, padding: padding, dilation: dilation)
    let Hout = g.outHeight, Wout = g.outWidth
    let y = Tensor(uninitializedShape: [N, Cout, Hout, Wout])
    let xp = x.pointer, wp = weight.pointer, yp = y.pointer
    for n in 0..<N {
        for co in 0..<Cout {
            for oh in 0..<Hout {
                for ow in 0..<Wout {
                    var acc = Double(bias?.pointer[co] ?? 0)
                    for ci in 0..<Cin {
                        for i in 0..<kH {
                            let ih = oh * stride.height - padding.height + i * dilation.height
                            if ih < 0 || ih >= H { continue }
                            for j in 0..<kW {
                                let iw = ow * stride.width - padding.width + j * dilation.width
                                if iw < 0 || iw >= W { continue }
                                let xv = xp[((n * Cin + ci) * H + ih) * W + iw]
                                let wv = wp[((co * Cin + ci) * kH + i) * kW + j]
                                acc += Double(xv) * Double(wv)
                            }
                        }
                    }
                    yp[((n * Cout + co) * Hout + oh) * Wout + ow] = Float(acc)
                }
            }
        }
    }
    return y
}
