/// 2-D convolution of a batch of images with a bank of filters (PyTorch's `F.conv2d`,
/// `groups = 1`). Like every deep-learning library it computes a cross-correlation (the
/// kernel is not flipped):
///
///     out[n, co, oh, ow] = bias[co] + Σ_{ci, i, j} weight[co, ci, i, j]
///                          · x[n, ci, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
///
/// with x = 0 outside the image. `naiveConv2d` computes exactly this with seven loops.
///
/// Implemented as im2col + GEMM, one image at a time: `columns_n = im2col(x[n])`
/// [Cin·kH·kW, Hout·Wout], then `out[n] = weight [Cout, Cin·kH·kW] · columns_n` lands
/// directly in the NCHW output. Fused (unfold + matmul + bias in one op) because the column
/// matrix is an internal buffer, not a tensor anyone else should see, and one tape record
/// lets backward reuse it.
///
/// Why per image and not one GEMM over the batch (columns [K, N·Hout·Wout]): the batched
/// product writes [Cout, N·Hout·Wout], which needs a permutation to NCHW, and OpenBLAS packs
/// a column matrix with a row stride of N·Hout·Wout poorly. Measured with one thread for
/// LeNet's second layer (Cout 32, K 400, 14×14, N 64): 64 per-image GEMMs 64 GFLOP/s, one
/// batched GEMM 35 GFLOP/s; the input-gradient GEMM 89 vs 46 GFLOP/s.
///
/// - Shape: x [N, Cin, H, W], weight [Cout, Cin, kH, kW], bias [Cout]
///   → [N, Cout, Hout, Wout], Hout = (H + 2·ph − dh·(kH − 1) − 1) / sh + 1 (same for W).
/// - Parameters:
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

    // The weight gradient needs every image's columns; keep them all only then (otherwise
    // one image's worth is reused). A 1×1/stride-1/no-padding kernel reads x itself.
    let keepColumns = recording && weight.requiresGrad
    let columns: Tensor? = g.columnsAreTheImage ? nil : Tensor(uninitializedShape: keepColumns ? [N, K, P] : [K, P])
    let columnsStep = keepColumns ? K * P : 0

    for n in 0..<N {
        let image = x.pointer + n * g.imageSize
        let cols: UnsafePointer<Float>
        if let columns {
            let c = columns.pointer + n * columnsStep
            im2col(image, geometry: g, columns: c)
            cols = UnsafePointer(c)
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

    if recording {
        y.record(inputs: inputs) { _, dy in
            conv2dBackward(dy: dy, x: x, weight: weight, bias: bias,
                           columns: keepColumns ? columns : nil, geometry: g)
        }
    }
    return y
}

/// Backward of `conv2d`, accumulating (beta = 1) into the gradients that are required:
///
/// - db[co] += Σ_{n, p} dy[n, co, p]
/// - dW [Cout, K] += Σₙ dy[n] [Cout, P] · columns_nᵀ [P, K]   (the saved columns)
/// - dx[n] += col2im(weightᵀ [K, Cout] · dy[n] [Cout, P])
///
/// The input gradient is skipped when x needs none (the first layer: the image), saving a
/// third of the FLOPs. Its column buffer holds one image at a time, so it stays in cache
/// between the GEMM that writes it and the col2im that reads it.
func conv2dBackward(dy: Tensor, x: Tensor, weight: Tensor, bias: Tensor?,
                    columns: Tensor?, geometry g: ConvGeometry) {
    let N = x.shape[0], Cout = weight.shape[0], K = g.patchSize, P = g.outputPixels
    let dyp = dy.pointer
    bias?.accumulateGrad { db in
        for n in 0..<N {
            for co in 0..<Cout { db[co] += contiguousSum(dyp + (n * Cout + co) * P, count: P) }
        }
    }
    weight.accumulateGrad { dW in
        for n in 0..<N {
            // columns_n: the saved unfolded image, or x[n] itself for a 1×1 kernel.
            let cols = columns.map { UnsafePointer($0.pointer + n * K * P) }
                ?? UnsafePointer(x.pointer + n * g.imageSize)
            BLAS.gemm(transA: false, transB: true, m: Cout, n: K, k: P,
                      a: dyp + n * Cout * P, lda: P, b: cols, ldb: P,
                      beta: 1, c: dW.baseAddress!, ldc: K)
        }
    }
    x.accumulateGrad { dx in
        if g.columnsAreTheImage {
            for n in 0..<N {   // dx[n] [Cin, H·W] += weightᵀ · dy[n]
                BLAS.gemm(transA: true, transB: false, m: K, n: P, k: Cout,
                          a: weight.pointer, lda: K, b: dyp + n * Cout * P, ldb: P,
                          beta: 1, c: dx.baseAddress! + n * g.imageSize, ldc: P)
            }
            return
        }
        let dColumns = Tensor(uninitializedShape: [K, P])
        for n in 0..<N {
            BLAS.gemm(transA: true, transB: false, m: K, n: P, k: Cout,
                      a: weight.pointer, lda: K, b: dyp + n * Cout * P, ldb: P,
                      beta: 0, c: dColumns.pointer, ldc: P)
            col2im(dColumns.pointer, geometry: g, addingInto: dx.baseAddress! + n * g.imageSize)
        }
    }
}
