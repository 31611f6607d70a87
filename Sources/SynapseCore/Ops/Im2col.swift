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
    let H = g.height, W = g.width, Hout = g.outHeight, Wout = g.outWidth
    let sh = g.stride.height, sw = g.stride.width
    let sameSizeStrideOne = sh == 1 && sw == 1 && Wout == W
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
                if sameSizeStrideOne {
                    copyShiftedPlane(plane, rowOffset: rowOffset, colOffset: colOffset, width: W,
                                     rows: ohValid, columns: owValid, into: row)
                } else {
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
                }
                (row + ohValid.upperBound * Wout).update(repeating: 0, count: (Hout - ohValid.upperBound) * Wout)
                row += Hout * Wout
            }
        }
    }
}

/// One row of im2col for a stride-1 convolution whose output is as wide as its input (a
/// "same" convolution: 3×3 with padding 1, 5×5 with padding 2, ...). There, consecutive
/// output positions read consecutive input pixels even across output rows, so the valid
/// block is ONE copy of the input shifted by (rowOffset, colOffset); the few entries that
/// wrapped around from a neighbouring row (the left/right padding columns) are then zeroed.
/// Measured on LeNet's second layer: twice as fast as copying row by row (14-float copies
/// are all call overhead).
private func copyShiftedPlane(_ plane: UnsafePointer<Float>, rowOffset: Int, colOffset: Int, width W: Int,
                              rows: Range<Int>, columns: Range<Int>, into row: UnsafeMutablePointer<Float>) {
    guard !rows.isEmpty && !columns.isEmpty else {
        (row + rows.lowerBound * W).update(repeating: 0, count: rows.count * W)
        return
    }
    let first = rows.lowerBound * W + columns.lowerBound      // first valid entry of the row
    let end = (rows.upperBound - 1) * W + columns.upperBound  // one past the last
    (row + first).update(from: plane + first + rowOffset * W + colOffset, count: end - first)
    // Column by column: a loop of 1–2 stores per row would be compiled into a memset call each.
    for ow in 0..<columns.lowerBound {
        for oh in rows { row[oh * W + ow] = 0 }
    }
    for ow in columns.upperBound..<W {
        for oh in rows { row[oh * W + ow] = 0 }
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

/// `col2im` for a column matrix that is scratch space: the same sums, but for a stride-1
/// "same" convolution (3×3 pad 1, 5×5 pad 2, ...) each row is added as ONE long run, after
/// its entries that came from padding are set to 0 — that is why `columns` is mutable and
/// must not be used afterwards. In those convolutions consecutive output positions map to
/// consecutive pixels (see `copyShiftedPlane`), so the row-by-row loop of `col2im` (runs of
/// 14 or 28 floats) becomes one loop the compiler vectorizes. Other geometries fall back to
/// `col2im`.
///
/// - Shape: columns [C·kH·kW, Hout·Wout] → image [C, H, W] (accumulated into).
public func col2im(overwritingPaddingOf columns: UnsafeMutablePointer<Float>, geometry g: ConvGeometry,
                   addingInto image: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width
    guard g.stride == Size2D(1), g.outWidth == W, g.outHeight == H else {
        col2im(UnsafePointer(columns), geometry: g, addingInto: image)
        return
    }
    var row = columns
    for c in 0..<g.channels {
        let plane = image + c * H * W
        for i in 0..<g.kernel.height {
            let rowOffset = i * g.dilation.height - g.padding.height
            let rows = g.validOutputRange(offset: rowOffset, stride: 1, extent: H, count: H)
            for j in 0..<g.kernel.width {
                let colOffset = j * g.dilation.width - g.padding.width
                let cols = g.validOutputRange(offset: colOffset, stride: 1, extent: W, count: W)
                if !rows.isEmpty && !cols.isEmpty {
                    // Entries whose tap fell on the left/right padding would wrap onto the
                    // neighbouring image row in the long run below: make them add nothing.
                    for ow in 0..<cols.lowerBound {
                        for oh in rows { row[oh * W + ow] = 0 }
                    }
                    for ow in cols.upperBound..<W {
                        for oh in rows { row[oh * W + ow] = 0 }
                    }
                    let first = rows.lowerBound * W + cols.lowerBound
                    let count = (rows.upperBound - 1) * W + cols.upperBound - first
                    let src = row + first, dst = plane + first + rowOffset * W + colOffset
                    for k in 0..<count { dst[k] += src[k] }
                }
                row += H * W
            }
        }
    }
}
