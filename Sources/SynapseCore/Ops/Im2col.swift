/// The index arithmetic of a sliding 2-D window, shared by convolution and pooling: which
/// input pixel each tap of the window reads at each output position.
///
/// Output position (oh, ow) with kernel tap (i, j) reads input row `oh·sh − ph + i·dh` and
/// column `ow·sw − pw + j·dw`; a position outside [0, H) × [0, W) is padding. The output size
/// is PyTorch's (floor mode): `Hout = (H + 2·ph − dh·(kH − 1) − 1) / sh + 1`, same for W.
/// Reference: PyTorch `torch.nn.Conv2d` documentation, "Shape".
public struct ConvGeometry: Sendable, Equatable {
    /// Input channels C.
    public let channels: Int
    /// Input height H.
    public let height: Int
    /// Input width W.
    public let width: Int
    /// Window size (kH, kW).
    public let kernel: Size2D
    /// Step between windows (sh, sw).
    public let stride: Size2D
    /// Implicit padding on each side (ph, pw).
    public let padding: Size2D
    /// Spacing between kernel taps (dh, dw); 1 is a dense window.
    public let dilation: Size2D
    /// Output height Hout.
    public let outHeight: Int
    /// Output width Wout.
    public let outWidth: Int

    /// The geometry of a window sliding over a [C, H, W] image. Preconditions: positive
    /// kernel, stride and dilation, non-negative padding, and a window that fits the padded
    /// image at least once.
    public init(channels: Int, height: Int, width: Int,
                kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) {
        precondition(kernel.height > 0 && kernel.width > 0, "kernel size must be positive, got \(kernel)")
        precondition(stride.height > 0 && stride.width > 0, "stride must be positive, got \(stride)")
        precondition(dilation.height > 0 && dilation.width > 0, "dilation must be positive, got \(dilation)")
        precondition(padding.height >= 0 && padding.width >= 0, "padding must be non-negative, got \(padding)")
        let spanH = dilation.height * (kernel.height - 1) + 1   // rows one window covers
        let spanW = dilation.width * (kernel.width - 1) + 1
        precondition(height + 2 * padding.height >= spanH && width + 2 * padding.width >= spanW,
                     "window \(kernel) (dilation \(dilation)) does not fit the \(height)×\(width) input padded by \(padding)")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        outHeight = (height + 2 * padding.height - spanH) / stride.height + 1
        outWidth = (width + 2 * padding.width - spanW) / stride.width + 1
    }

    /// Rows of the column matrix: one per (channel, tap) = C·kH·kW.
    public var patchSize: Int { channels * kernel.height * kernel.width }
    /// Columns of the column matrix: one per output position = Hout·Wout.
    public var outputPixels: Int { outHeight * outWidth }
    /// Elements of one input image, C·H·W.
    public var imageSize: Int { channels * height * width }

    /// Whether im2col would copy the image unchanged (1×1 kernel, stride 1, no padding):
    /// the image [C, H·W] already is its column matrix.
    public var columnsAreTheImage: Bool {
        kernel == Size2D(1) && stride == Size2D(1) && padding == Size2D(0)
    }

    /// The output columns `ow` whose tap at input-column offset `offset` (= j·dw − pw) lands
    /// inside the image: `0 ≤ ow·sw + offset < W`. Rows work the same way.
    @inline(__always)
    func validOutputRange(offset: Int, stride s: Int, extent: Int, count: Int) -> Range<Int> {
        let lo = offset >= 0 ? 0 : (-offset + s - 1) / s
        let hi = extent - offset <= 0 ? 0 : min(count, (extent - offset + s - 1) / s)
        return min(lo, hi)..<hi
    }
}

/// Unfolds one image into its column matrix ("im2col"), so that a convolution becomes one
/// matrix product: `out [Cout, Hout·Wout] = weight [Cout, C·kH·kW] · columns`.
///
/// Row `(c·kH + i)·kW + j` of `columns` holds, for every output position, the input value
/// under tap (i, j) of channel c, or 0 where the tap falls on padding. The row order matches
/// the weight layout [Cout, C, kH, kW], so the weight needs no reshaping.
/// Reference: Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks
/// for Document Processing" (2006).
///
/// - Shape: image [C, H, W] → columns [C·kH·kW, Hout·Wout] (row stride Hout·Wout).
public func im2col(_ image: UnsafePointer<Float>, geometry g: ConvGeometry,
                   columns: UnsafeMutablePointer<Float>) {
    withColumnMasks(g) { im2col(image, geometry: g, masks: $0, columns: columns) }
}

/// `im2col` with the masks of `withColumnMasks(g)`, which a convolution builds once for all
/// the images of its batch.
func im2col(_ image: UnsafePointer<Float>, geometry g: ConvGeometry, masks: UnsafePointer<UInt32>?,
            columns: UnsafeMutablePointer<Float>) {
    if let masks {
        sameWidthIm2col(image, geometry: g, masks: masks, columns: columns)
        return
    }
    let H = g.height, W = g.width, Hout = g.outHeight, Wout = g.outWidth
    let sh = g.stride.height, sw = g.stride.width
    var row = columns
    for c in 0..<g.channels {
        let plane = image + c * H * W
        for i in 0..<g.kernel.height {
            let rowOffset = i * g.dilation.height - g.padding.height
            let ohValid = g.validOutputRange(offset: rowOffset, stride: sh, extent: H, count: Hout)
            for j in 0..<g.kernel.width {
                let colOffset = j * g.dilation.width - g.padding.width
                let owValid = g.validOutputRange(offset: colOffset, stride: sw, extent: W, count: Wout)
                // Rows of padding above and below, zero columns left and right: filled
                // in bulk so the inner loop is a plain (or strided) copy without branches.
                row.update(repeating: 0, count: ohValid.lowerBound * Wout)
                for oh in ohValid {
                    let dst = row + oh * Wout
                    let src = plane + (oh * sh + rowOffset) * W + (owValid.lowerBound * sw + colOffset)
                    dst.update(repeating: 0, count: owValid.lowerBound)
                    let inside = dst + owValid.lowerBound
                    if sw == 1 {
                        inside.update(from: src, count: owValid.count)
                    } else {
                        for k in 0..<owValid.count { inside[k] = src[k * sw] }
                    }
                    (dst + owValid.upperBound).update(repeating: 0, count: Wout - owValid.upperBound)
                }
                (row + ohValid.upperBound * Wout).update(repeating: 0, count: (Hout - ohValid.upperBound) * Wout)
                row += Hout * Wout
            }
        }
    }
}

// MARK: - Stride-1 same-width convolutions ("same": 3×3 pad 1, 5×5 pad 2, ...)
//
// There output rows are as wide as input rows, and consecutive output positions read
// consecutive input pixels even across output rows: the valid block of a column-matrix row
// is ONE run of the input plane shifted by (rowOffset, colOffset), not Hout runs of Wout
// floats (14-float copies are all call overhead). The run's entries that wrapped around from
// a neighbouring image row, where the tap fell on the left or right padding, are cleared by
// a bit mask in the same pass, so the whole row is one loop the compiler vectorizes, and
// col2im leaves its input alone. Measured (LeNet, one thread, share of a training step under
// perf): im2col 10.9 % and col2im 6.4 %, against 11.5 % and 6.8 % for a long copy followed by
// clearing the wrapped columns one by one. Both are bound by memory traffic, not by
// instructions: each image's columns are 313 KB (LeNet's second layer), larger than L1, and
// an AVX-512 build of the masked loop is no faster than this SSE one.

extension ConvGeometry {
    /// Stride 1 and output rows as wide as input rows (kernel width span = 2·pw + 1), so
    /// output position k of a column-matrix row reads input pixel k + (a shift per tap).
    var isStrideOneSameWidth: Bool {
        stride == Size2D(1) && outWidth == width
    }
}

/// Calls `body` with the masks of a stride-1 same-width convolution, or with nil for any other
/// geometry (which needs none): one mask per kernel column j, each Hout·W words, all ones where
/// output position (oh, ow) reads a pixel inside the image through a tap of column j
/// (0 ≤ ow + j·dw − pw < W), zero where it reads padding. Kept on the stack.
func withColumnMasks<R>(_ g: ConvGeometry, _ body: (UnsafePointer<UInt32>?) throws -> R) rethrows -> R {
    guard g.isStrideOneSameWidth else { return try body(nil) }
    let W = g.width, plane = g.outputPixels
    return try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: g.kernel.width * plane) { buffer in
        let masks = buffer.baseAddress!
        for j in 0..<g.kernel.width {
            let cols = g.validOutputRange(offset: j * g.dilation.width - g.padding.width, stride: 1,
                                          extent: W, count: W)
            let m = masks + j * plane
            for ow in 0..<W { m[ow] = cols.contains(ow) ? UInt32.max : 0 }
            for oh in 1..<max(g.outHeight, 1) { (m + oh * W).update(from: m, count: W) }
        }
        return try body(UnsafePointer(masks))
    }
}

/// The valid run of column-matrix row (c, i, j) in a stride-1 same-width convolution: its
/// entries [first, first + count) in the row, reading input plane c from `first + shift`.
/// Everything before and after it comes from the padding rows above and below.
@inline(__always)
private func sameWidthRun(_ g: ConvGeometry, i: Int, j: Int) -> (first: Int, count: Int, shift: Int) {
    let W = g.width
    let rowOffset = i * g.dilation.height - g.padding.height
    let colOffset = j * g.dilation.width - g.padding.width
    let rows = g.validOutputRange(offset: rowOffset, stride: 1, extent: g.height, count: g.outHeight)
    let cols = g.validOutputRange(offset: colOffset, stride: 1, extent: W, count: W)
    guard !rows.isEmpty && !cols.isEmpty else { return (0, 0, 0) }
    let first = rows.lowerBound * W + cols.lowerBound
    let end = (rows.upperBound - 1) * W + cols.upperBound
    return (first, end - first, rowOffset * W + colOffset)
}

/// Calls `body` for every row of a stride-1 same-width convolution's column matrix, in
/// order: the row index (c·kH + i)·kW + j, the channel c, the kernel column j (which mask
/// applies) and the row's valid run (`sameWidthRun`).
@inline(__always)
private func forEachSameWidthRow(_ g: ConvGeometry,
                                 _ body: (_ row: Int, _ channel: Int, _ j: Int, _ run: (first: Int, count: Int, shift: Int)) -> Void) {
    var row = 0
    for c in 0..<g.channels {
        for i in 0..<g.kernel.height {
            for j in 0..<g.kernel.width {
                body(row, c, j, sameWidthRun(g, i: i, j: j))
                row += 1
            }
        }
    }
}

/// `im2col` of a stride-1 same-width convolution: per row, zeros, one masked run, zeros.
private func sameWidthIm2col(_ image: UnsafePointer<Float>, geometry g: ConvGeometry,
                             masks: UnsafePointer<UInt32>, columns: UnsafeMutablePointer<Float>) {
    let plane = g.outputPixels
    forEachSameWidthRow(g) { row, c, j, run in
        let dst = columns + row * plane, src = image + c * g.height * g.width + run.shift
        let m = masks + j * plane
        dst.update(repeating: 0, count: run.first)
        for k in run.first..<(run.first + run.count) { dst[k] = Float(bitPattern: src[k].bitPattern & m[k]) }
        (dst + run.first + run.count).update(repeating: 0, count: plane - run.first - run.count)
    }
}

/// Folds a column matrix back onto an image, ADDING each entry to the pixel it was read from
/// ("col2im", the adjoint of `im2col`): a pixel under several windows receives the sum of
/// their contributions, which is exactly the input gradient of a convolution. Entries that
/// came from padding are dropped.
///
/// - Shape: columns [C·kH·kW, Hout·Wout] → image [C, H, W] (accumulated into).
public func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvGeometry,
                   addingInto image: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, Hout = g.outHeight, Wout = g.outWidth
    let sh = g.stride.height, sw = g.stride.width
    var row = columns
    for c in 0..<g.channels {
        let plane = image + c * H * W
        for i in 0..<g.kernel.height {
            let rowOffset = i * g.dilation.height - g.padding.height
            let ohValid = g.validOutputRange(offset: rowOffset, stride: sh, extent: H, count: Hout)
            for j in 0..<g.kernel.width {
                let colOffset = j * g.dilation.width - g.padding.width
                let owValid = g.validOutputRange(offset: colOffset, stride: sw, extent: W, count: Wout)
                for oh in ohValid {
                    let src = row + oh * Wout + owValid.lowerBound
                    let dst = plane + (oh * sh + rowOffset) * W + (owValid.lowerBound * sw + colOffset)
                    if sw == 1 {
                        for k in 0..<owValid.count { dst[k] += src[k] }
                    } else {
                        for k in 0..<owValid.count { dst[k * sw] += src[k] }
                    }
                }
                row += Hout * Wout
            }
        }
    }
}

/// `col2im` with a fast path for stride-1 same-width convolutions (3×3 pad 1, 5×5 pad 2, ...):
/// the same sums in the same order (bit-equal), but each column-matrix row is added as ONE
/// masked run (see `sameWidthIm2col`) instead of Hout runs of Wout floats. Entries that came
/// from padding add +0 and so are dropped. Other geometries take `col2im` itself.
///
/// - Shape: columns [C·kH·kW, Hout·Wout] → image [C, H, W] (accumulated into).
public func col2imFast(_ columns: UnsafePointer<Float>, geometry g: ConvGeometry,
                       addingInto image: UnsafeMutablePointer<Float>) {
    withColumnMasks(g) { col2imFast(columns, geometry: g, masks: $0, addingInto: image) }
}

/// `col2imFast` with the masks of `withColumnMasks(g)` (nil: the row-by-row `col2im`).
func col2imFast(_ columns: UnsafePointer<Float>, geometry g: ConvGeometry, masks: UnsafePointer<UInt32>?,
                addingInto image: UnsafeMutablePointer<Float>) {
    guard let masks else {
        col2im(columns, geometry: g, addingInto: image)
        return
    }
    let plane = g.outputPixels
    forEachSameWidthRow(g) { row, c, j, run in
        let src = columns + row * plane, dst = image + c * g.height * g.width + run.shift
        let m = masks + j * plane
        for k in run.first..<(run.first + run.count) { dst[k] += Float(bitPattern: src[k].bitPattern & m[k]) }
    }
}
