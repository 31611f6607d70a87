/// 2-D convolution of a batch of images with a bank of filters (PyTorch's `F.conv2d`,
/// `groups = 1`). Like every deep-learning library it computes a cross-correlation (the
/// kernel is not flipped):
///
///     out[n, co, oh, ow] = bias[co] + Σ_{ci, i, j} weight[co, ci, i, j]
///                          · x[n, ci, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
///
/// with x = 0 outside the image. `naiveConv2d` computes exactly this with seven loops.
///
/// Implemented as im2col + GEMM, one image at a time: `columns = im2col(x[n])`
/// [Cin·kH·kW, Hout·Wout], then `out[n] = weight [Cout, Cin·kH·kW] · columns` lands
/// directly in the NCHW output. Fused (unfold + matmul + bias in one op) because the column
/// matrix is an internal buffer, not a tensor anyone else should see.
///
/// Why per image and not one GEMM over the batch (columns [K, N·Hout·Wout]): the batched
/// product writes [Cout, N·Hout·Wout], which needs a permutation to NCHW, and is no faster
/// (measured for LeNet's second layer, one thread, AVX-512 kernels: 92 GFLOP/s batched,
/// 101 per image). One image's columns (LeNet: 400 × 196 floats, 313 KB) stay in the L2
/// cache between im2col and the GEMM that reads them; the columns of a whole batch (20 MB)
/// would not. So nothing is kept for backward: it unfolds each image again, which is
/// cheaper than storing and re-reading the batch's columns from memory.
///
/// - Shape: x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout]
///   → [N, Cout, Hout, Wout], Hout = (H + 2·ph − dh·(kH − 1) − 1) / sh + 1 (same for W).
/// - Parameters:
///   - x: the input images.
///   - weight: the filters.
///   - bias: one value per filter, or nil.
///   - stride: step between windows (sh, sw).
///   - padding: zeros added on each side (ph, pw).
///   - dilation: spacing between kernel taps (dh, dw).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    precondition(x.rank == 4, "conv2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(weight.rank == 4 && weight.shape[1] == x.shape[1],
                 "conv2d: weight \(weight.shape) does not match input \(x.shape) (expected [Cout, \(x.shape[1]), kH, kW])")
    let N = x.shape[0], Cout = weight.shape[0]
    let g = ConvGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: Size2D(weight.shape[2], weight.shape[3]),
                         stride: stride, padding: padding, dilation: dilation)
    if let bias {
        precondition(bias.shape == [Cout], "conv2d: bias \(bias.shape) should be [\(Cout)]")
    }
    let K = g.patchSize, P = g.outputPixels
    let y = Tensor(uninitializedShape: [N, Cout, g.outHeight, g.outWidth])
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    let recording = GradMode.isEnabled && inputs.contains(where: \.requiresGrad)

    // One image's column matrix, reused for every image (none for a 1×1/stride-1/no-padding
    // kernel, which reads x itself).
    let columns: Tensor? = g.columnsAreTheImage ? nil : Tensor(uninitializedShape: [K, P])
    withColumnMasks(g) { masks in   // built once for the whole batch
        for n in 0..<N {
            let image = x.pointer + n * g.imageSize
            let cols: UnsafePointer<Float>
            if let columns {
                im2col(image, geometry: g, masks: masks, columns: columns.pointer)
                cols = UnsafePointer(columns.pointer)
            } else {
                cols = UnsafePointer(image)
            }
            let out = y.pointer + n * Cout * P
            if let bias {
                // Fill each output channel with its bias, then accumulate the product (beta = 1).
                for co in 0..<Cout { (out + co * P).update(repeating: bias.pointer[co], count: P) }
            }
            // out [Cout, P] (+)= weight [Cout, K] · columns [K, P]
            BLAS.gemm(transA: false, transB: false, m: Cout, n: P, k: K,
                      a: weight.pointer, lda: K, b: cols, ldb: P,
                      beta: bias == nil ? 0 : 1, c: out, ldc: P)
        }
    }

    if recording {
        y.record(inputs: inputs) { _, dy in
            conv2dBackward(dy: dy, x: x, weight: weight, bias: bias, geometry: g)
        }
    }
    return y
}

/// Backward of `conv2d`, accumulating (beta = 1) into the gradients that are required:
///
/// - db[co] += Σ_{n, p} dy[n, co, p]
/// - dW [Cout, K] += Σₙ dy[n] [Cout, P] · columns_nᵀ [P, K]
/// - dx[n] += col2im(weightᵀ [K, Cout] · dy[n] [Cout, P])
///
/// One image at a time: unfold x[n] again (see `conv2d` on why the forward pass keeps no
/// columns), use the columns for dW while they are in cache, then form the column gradient
/// and fold it onto dx[n]. The input gradient is skipped when x needs none (the first layer:
/// the image), saving a third of the FLOPs.
///
/// The weight gradient is accumulated transposed, dWᵀ [K, Cout] += columns_n [K, P] ·
/// dy[n]ᵀ [P, Cout], and added onto dW once at the end: OpenBLAS runs this shape with the
/// long side as rows markedly faster (LeNet's conv2, K = 400, Cout = 32, P = 196, AVX-512
/// kernels: 108 against 78 GFLOP/s; never slower on the shapes of the configs).
func conv2dBackward(dy: Tensor, x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) {
    let N = x.shape[0], Cout = weight.shape[0], K = g.patchSize, P = g.outputPixels
    let dyp = dy.pointer
    bias?.accumulateGrad { db in
        for n in 0..<N {
            for co in 0..<Cout { db[co] += contiguousSum(dyp + (n * Cout + co) * P, count: P) }
        }
    }
    let wantsWeight = weight.requiresGrad, wantsInput = x.requiresGrad
    guard wantsWeight || wantsInput else { return }
    let dW = wantsWeight ? weight.gradBuffer().baseAddress : nil
    // A fresh input gradient is zeroed one image at a time, just before that image's fold,
    // rather than all at once (the image is then in cache when col2im adds into it).
    var dx: UnsafeMutablePointer<Float>? = nil, dxFresh = false
    x.storeOrAccumulateGrad { buffer, fresh in dx = buffer.baseAddress; dxFresh = fresh }
    let columns: Tensor? = g.columnsAreTheImage || !wantsWeight ? nil : Tensor(uninitializedShape: [K, P])
    let dColumns: Tensor? = g.columnsAreTheImage || !wantsInput ? nil : Tensor(uninitializedShape: [K, P])
    let dWt: Tensor? = wantsWeight ? Tensor(uninitializedShape: [K, Cout]) : nil
    withColumnMasks(g) { masks in   // built once for the whole batch
        for n in 0..<N {
            let image = x.pointer + n * g.imageSize
            let dyn = dyp + n * Cout * P
            if let dWt {
                // dWᵀ [K, Cout] (+)= columns_n [K, P] · dy[n]ᵀ [P, Cout]
                var cols = UnsafePointer(image)
                if let columns {
                    im2col(image, geometry: g, masks: masks, columns: columns.pointer)
                    cols = UnsafePointer(columns.pointer)
                }
                BLAS.gemm(transA: false, transB: true, m: K, n: Cout, k: P,
                          a: cols, lda: P, b: dyn, ldb: P, beta: n == 0 ? 0 : 1, c: dWt.pointer, ldc: Cout)
            }
            if let dx {
                let dxn = dx + n * g.imageSize
                if dxFresh { dxn.update(repeating: 0, count: g.imageSize) }
                if let dColumns {
                    // dcolumns [K, P] = weightᵀ [K, Cout] · dy[n] [Cout, P], folded onto dx[n]
                    BLAS.gemm(transA: true, transB: false, m: K, n: P, k: Cout,
                              a: weight.pointer, lda: K, b: dyn, ldb: P, beta: 0, c: dColumns.pointer, ldc: P)
                    col2imFast(dColumns.pointer, geometry: g, masks: masks, addingInto: dxn)
                } else {   // 1×1 kernel: dx[n] [Cin, H·W] += weightᵀ · dy[n]
                    BLAS.gemm(transA: true, transB: false, m: K, n: P, k: Cout,
                              a: weight.pointer, lda: K, b: dyn, ldb: P, beta: 1, c: dxn, ldc: P)
                }
            }
        }
    }
    if let dW, let dWt, N > 0 {
        // dW [Cout, K] += (dWᵀ)ᵀ
        let t = dWt.pointer
        for co in 0..<Cout {
            let row = dW + co * K
            for k in 0..<K { row[k] += t[k * Cout + co] }
        }
    }
}
