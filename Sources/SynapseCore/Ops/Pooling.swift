/// 2-D max pooling (PyTorch's `F.max_pool2d`, dilation 1, floor mode): each output is the
/// largest input in its kH×kW window. Padding counts as −∞, so it is never chosen.
///
/// The position of each maximum (index into its H·W input plane, like PyTorch's
/// `return_indices`) is saved for backward, which routes the whole gradient to it. On ties
/// the first maximum in row-major window order wins, as in PyTorch; a NaN always wins.
///
/// - Shape: [N, C, H, W] → [N, C, Hout, Wout], Hout = (H + 2·ph − kH) / sh + 1 (same for W).
/// - Parameters:
///   - x: the input planes.
///   - kernelSize: window (kH, kW).
///   - stride: step between windows; `nil` means the kernel size (PyTorch's default).
///   - padding: −∞ padding on each side, at most half the kernel (PyTorch's limit).
public func maxPool2d(_ x: Tensor, kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) -> Tensor {
    let g = poolingGeometry("maxPool2d", x, kernelSize: kernelSize, stride: stride, padding: padding)
    let planes = x.shape[0] * x.shape[1], P = g.outputPixels, plane = g.height * g.width
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
    let recording = isRecording(x)
    // Argmax indices are Int32 stored in a pooled Float-sized buffer (same width), so a
    // training step allocates nothing new; inference keeps only one plane's worth.
    let argmax = Tensor(uninitializedShape: [recording ? planes * P : P])
    argmax.pointer.withMemoryRebound(to: Int32.self, capacity: argmax.count) { indices in
        for q in 0..<planes {
            maxPoolPlane(x.pointer + q * plane, geometry: g, into: y.pointer + q * P,
                         indices: indices + (recording ? q * P : 0))
        }
    }
    if recording {
        y.record(inputs: [x]) { _, dy in
            x.storeOrAccumulateGrad { dx, fresh in
                argmax.pointer.withMemoryRebound(to: Int32.self, capacity: argmax.count) { indices in
                    for q in 0..<planes {
                        let d = dx.baseAddress! + q * plane, at = indices + q * P, gq = dy.pointer + q * P
                        if fresh { d.update(repeating: 0, count: plane) }   // one plane, still in cache for the scatter
                        for p in 0..<P { d[Int(at[p])] += gq[p] }
                    }
                }
            }
        }
    }
    return y
}

/// Max pooling of one [H, W] plane into [Hout, Wout], writing each maximum's position.
///
/// Written for branch-free inner loops: on real activations "is this the new maximum?" is a
/// coin flip that a branch predictor loses, so the running maximum and its index are
/// updated with selects (index arithmetic wraps, `&+`, because an overflow trap inside a
/// select turns it back into a branch). NaN is not compared inside the loop: a window
/// holding one makes the sum `probe` NaN, and only such windows take the exact slow path.
/// The 2×2, stride-2 case (most CNNs) is unrolled; it runs about 3× faster than the loop.
private func maxPoolPlane(_ src: UnsafePointer<Float>, geometry g: ConvGeometry,
                          into out: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
    let W = g.width, Wout = g.outWidth
    if g.kernel == Size2D(2) && g.stride == Size2D(2) && g.padding == Size2D(0) {
        for oh in 0..<g.outHeight {
            for ow in 0..<Wout {
                let i = (2 &* oh) &* W &+ 2 &* ow
                let a = src[i], b = src[i &+ 1], c = src[i &+ W], d = src[i &+ W &+ 1]
                var best = a, at = i
                if b > best { best = b; at = i &+ 1 }
                if c > best { best = c; at = i &+ W }
                if d > best { best = d; at = i &+ W &+ 1 }
                if (a + b + c + d).isNaN {
                    (best, at) = exactWindowMax(src, rows: 2 &* oh..<2 &* oh &+ 2, columns: 2 &* ow..<2 &* ow &+ 2, width: W)
                }
                out[oh &* Wout &+ ow] = best
                indices[oh &* Wout &+ ow] = Int32(truncatingIfNeeded: at)
            }
        }
        return
    }
    for oh in 0..<g.outHeight {
        let rows = g.windowRows(oh)
        for ow in 0..<Wout {
            let cols = g.windowColumns(ow)
            var best = -Float.infinity, probe: Float = 0
            var at = rows.lowerBound &* W &+ cols.lowerBound   // PyTorch's choice if all are −∞
            for ih in rows {
                let row = ih &* W
                for iw in cols {
                    let i = row &+ iw, v = src[i]
                    if v > best { best = v; at = i }
                    probe += v
                }
            }
            if probe.isNaN { (best, at) = exactWindowMax(src, rows: rows, columns: cols, width: W) }
            out[oh &* Wout &+ ow] = best
            indices[oh &* Wout &+ ow] = Int32(truncatingIfNeeded: at)
        }
    }
}

/// PyTorch's rule for one window, NaN included: a value replaces the maximum when it is
/// larger or NaN (so the last NaN wins). Only windows whose sum is NaN come here.
private func exactWindowMax(_ src: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>,
                            width W: Int) -> (Float, Int) {
    var best = -Float.infinity, at = rows.lowerBound * W + columns.lowerBound
    for ih in rows {
        for iw in columns where src[ih * W + iw] > best || src[ih * W + iw].isNaN {
            best = src[ih * W + iw]
            at = ih * W + iw
        }
    }
    return (best, at)
}

/// 2-D average pooling (PyTorch's `F.avg_pool2d`, floor mode): each output is the mean of
/// its kH×kW window.
///
/// With `countIncludePad` (PyTorch's default) padding counts as zeros and every window is
/// divided by kH·kW; without it, each window is divided by the number of real pixels in it.
/// Backward spreads each output's gradient evenly over the pixels of its window.
///
/// - Shape: [N, C, H, W] → [N, C, Hout, Wout], Hout = (H + 2·ph − kH) / sh + 1 (same for W).
/// - Parameters:
///   - x: the input planes.
///   - kernelSize: window (kH, kW).
///   - stride: step between windows; `nil` means the kernel size (PyTorch's default).
///   - padding: zero padding on each side, at most half the kernel (PyTorch's limit).
///   - countIncludePad: whether padded zeros count in the divisor.
public func avgPool2d(_ x: Tensor, kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0,
                      countIncludePad: Bool = true) -> Tensor {
    let g = poolingGeometry("avgPool2d", x, kernelSize: kernelSize, stride: stride, padding: padding)
    let planes = x.shape[0] * x.shape[1], P = g.outputPixels, plane = g.height * g.width, W = g.width
    let fullWindow = Float(kernelSize.height * kernelSize.width)
    func divisor(_ rows: Range<Int>, _ cols: Range<Int>) -> Float {
        countIncludePad ? fullWindow : Float(rows.count * cols.count)
    }
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
    for q in 0..<planes {
        let src = x.pointer + q * plane, out = y.pointer + q * P
        for oh in 0..<g.outHeight {
            let rows = g.windowRows(oh)
            for ow in 0..<g.outWidth {
                let cols = g.windowColumns(ow)
                var s: Float = 0
                for ih in rows { for iw in cols { s += src[ih * W + iw] } }
                out[oh * g.outWidth + ow] = s / divisor(rows, cols)
            }
        }
    }
    if isRecording(x) {
        y.record(inputs: [x]) { _, dy in
            x.accumulateGrad { dx in
                for q in 0..<planes {
                    let d = dx.baseAddress! + q * plane, gq = dy.pointer + q * P
                    for oh in 0..<g.outHeight {
                        let rows = g.windowRows(oh)
                        for ow in 0..<g.outWidth {
                            let cols = g.windowColumns(ow)
                            let share = gq[oh * g.outWidth + ow] / divisor(rows, cols)
                            for ih in rows { for iw in cols { d[ih * W + iw] += share } }
                        }
                    }
                }
            }
        }
    }
    return y
}

/// Global average pooling: the mean of each channel's H×W plane (PyTorch's
/// `F.adaptive_avg_pool2d(x, 1).flatten(1)`), the usual bridge from a CNN's last feature
/// map to its classifier.
/// - Shape: [N, C, H, W] → [N, C].
public func globalAvgPool2d(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "globalAvgPool2d: input must be [N, C, H, W], got \(x.shape)")
    let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
    precondition(plane > 0, "globalAvgPool2d: empty H×W plane in \(x.shape)")
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1]])
    let scale = 1 / Float(plane)
    for q in 0..<planes {
        y.pointer[q] = contiguousSum(x.pointer + q * plane, count: plane) * scale
    }
    if isRecording(x) {
        y.record(inputs: [x]) { _, dy in
            x.accumulateGrad { dx in
                for q in 0..<planes {
                    let d = dx.baseAddress! + q * plane, share = dy.pointer[q] * scale
                    for i in 0..<plane { d[i] += share }
                }
            }
        }
    }
    return y
}

/// Checks a pooling call's arguments and returns its window geometry.
private func poolingGeometry(_ op: String, _ x: Tensor, kernelSize: Size2D, stride: Size2D?,
                             padding: Size2D) -> ConvGeometry {
    precondition(x.rank == 4, "\(op): input must be [N, C, H, W], got \(x.shape)")
    precondition(2 * padding.height <= kernelSize.height && 2 * padding.width <= kernelSize.width,
                 "\(op): padding \(padding) must be at most half the kernel \(kernelSize)")
    return ConvGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                        kernel: kernelSize, stride: stride ?? kernelSize, padding: padding)
}

extension ConvGeometry {
    /// Input rows covered by the (dilation-1) window of output row `oh`, clipped to the image.
    @inline(__always) func windowRows(_ oh: Int) -> Range<Int> {
        let start = oh * stride.height - padding.height
        return max(start, 0)..<min(start + kernel.height, height)
    }

    /// Input columns covered by the (dilation-1) window of output column `ow`, clipped.
    @inline(__always) func windowColumns(_ ow: Int) -> Range<Int> {
        let start = ow * stride.width - padding.width
        return max(start, 0)..<min(start + kernel.width, width)
    }
}
