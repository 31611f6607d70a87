import Testing
import SynapseCore
import SynapseTestSupport

/// im2col / col2im and the window geometry they share.
@Suite struct ConvIm2colTests {
    func columns(of image: Tensor, _ g: ConvGeometry) -> [Float] {
        let cols = Tensor(shape: [g.patchSize, g.outputPixels], repeating: .nan)
        im2col(image.pointer, geometry: g, columns: cols.pointer)
        return cols.scalars
    }

    @Test func handComputedColumns() {
        // Image 1…9 (3×3), 2×2 kernel: row (i, j) lists the pixel under tap (i, j) for the
        // four windows in row-major order.
        let image = Tensor(shape: [1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let g = ConvGeometry(channels: 1, height: 3, width: 3, kernel: 2)
        expectClose(columns(of: image, g), [1, 2, 4, 5,
                                            2, 3, 5, 6,
                                            4, 5, 7, 8,
                                            5, 6, 8, 9])
    }

    @Test func handComputedColumnsWithPaddingAndStride() {
        // Image 1…6 (2×3), 2×2 kernel, padding 1, stride [1, 2]: Hout = (2+2−2)/1+1 = 3,
        // Wout = (3+2−2)/2+1 = 2. Windows start at rows −1, 0, 1 and columns −1, 1.
        // Tap (0,0) reads (oh−1, 2·ow−1): row −1 → 0 0; row 0 → 0, x[0,1]=2; row 1 → 0, 5.
        // Tap (0,1) reads (oh−1, 2·ow):   0 0; 1 3; 4 6.
        // Tap (1,0) reads (oh, 2·ow−1):   0 2; 0 5; 0 0.
        // Tap (1,1) reads (oh, 2·ow):     1 3; 4 6; 0 0.
        let image = Tensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6])
        let g = ConvGeometry(channels: 1, height: 2, width: 3, kernel: 2, stride: [1, 2], padding: 1)
        #expect(g.outHeight == 3 && g.outWidth == 2)
        expectClose(columns(of: image, g), [0, 0, 0, 2, 0, 5,
                                            0, 0, 1, 3, 4, 6,
                                            0, 2, 0, 5, 0, 0,
                                            1, 3, 4, 6, 0, 0])
    }

    /// Geometries covering stride, padding and dilation in both dimensions, several channels.
    /// The first three and the last two are stride-1 same-width ones (the masked-run path).
    let geometries: [ConvGeometry] = [
        ConvGeometry(channels: 3, height: 9, width: 9, kernel: 5, padding: 2),
        ConvGeometry(channels: 1, height: 8, width: 5, kernel: Size2D(3, 5), padding: Size2D(0, 2)),
        ConvGeometry(channels: 2, height: 7, width: 7, kernel: 3, padding: 2, dilation: 2),
        ConvGeometry(channels: 2, height: 7, width: 5, kernel: 3, padding: 1),
        ConvGeometry(channels: 3, height: 6, width: 9, kernel: [3, 2], stride: 2, padding: [2, 1], dilation: [1, 2]),
        ConvGeometry(channels: 1, height: 5, width: 5, kernel: 5, padding: 2, dilation: 2),
        ConvGeometry(channels: 2, height: 4, width: 7, kernel: 1, stride: [2, 3]),
        ConvGeometry(channels: 1, height: 3, width: 3, kernel: 3, stride: 2, padding: 2),
        ConvGeometry(channels: 2, height: 4, width: 3, kernel: 1),
        ConvGeometry(channels: 2, height: 6, width: 1, kernel: 3, padding: 1),
    ]

    @Test func columnsFollowTheIndexDefinition() {
        // Entry (c, i, j; oh, ow) = x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], 0 outside.
        for (k, g) in geometries.enumerated() {
            let image = randomTensor([g.channels, g.height, g.width], seed: UInt64(100 + k))
            var expected: [Float] = []
            for c in 0..<g.channels {
                for i in 0..<g.kernel.height {
                    for j in 0..<g.kernel.width {
                        for oh in 0..<g.outHeight {
                            for ow in 0..<g.outWidth {
                                let ih = oh * g.stride.height - g.padding.height + i * g.dilation.height
                                let iw = ow * g.stride.width - g.padding.width + j * g.dilation.width
                                let inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
                                expected.append(inside ? image.pointer[(c * g.height + ih) * g.width + iw] : 0)
                            }
                        }
                    }
                }
            }
            #expect(columns(of: image, g) == expected, "geometry \(k)")
        }
    }

    @Test func col2imIsTheAdjointOfIm2col() {
        // ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for all x, C: the defining property that makes
        // col2im the input gradient of a convolution.
        for (k, g) in geometries.enumerated() {
            let x = randomTensor([g.channels, g.height, g.width], seed: UInt64(200 + k))
            let c = randomTensor([g.patchSize, g.outputPixels], seed: UInt64(300 + k))
            let folded = Tensor.zeros([g.channels, g.height, g.width])
            col2im(c.pointer, geometry: g, addingInto: folded.pointer)
            let lhs = zip(columns(of: x, g), c.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x.scalars, folded.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            expectClose(Float(lhs), Float(rhs), rtol: 1e-5, atol: 1e-5, "geometry \(k)")
        }
    }

    @Test func col2imAccumulates() {
        // Folding into a non-zero image adds: the result is the old image plus the fold.
        let g = geometries[4]
        let c = randomTensor([g.patchSize, g.outputPixels], seed: 400)
        let fresh = Tensor.zeros([g.channels, g.height, g.width])
        col2im(c.pointer, geometry: g, addingInto: fresh.pointer)
        let base = randomTensor([g.channels, g.height, g.width], seed: 401), onto = base.copy()
        col2im(c.pointer, geometry: g, addingInto: onto.pointer)
        expectClose(onto.scalars, zip(base.scalars, fresh.scalars).map { $0 + $1 })
    }

    @Test func fastCol2imEqualsCol2im() {
        // The one-run fold of stride-1 same-width convolutions must add exactly what the
        // row-by-row fold adds (same additions in the same order per pixel: bit-equal), and
        // leave the columns as they were; other geometries take the row-by-row path.
        for (k, g) in geometries.enumerated() {
            let c = randomTensor([g.patchSize, g.outputPixels], seed: UInt64(500 + k))
            let base = randomTensor([g.channels, g.height, g.width], seed: UInt64(600 + k))
            let expected = base.copy(), actual = base.copy(), before = c.scalars
            col2im(c.pointer, geometry: g, addingInto: expected.pointer)
            col2imFast(c.pointer, geometry: g, addingInto: actual.pointer)
            #expect(actual.scalars == expected.scalars, "geometry \(k): \(g)")
            #expect(c.scalars == before, "geometry \(k): the columns must not change")
        }
    }

    @Test func paddingNeverLeaksIntoTheColumnsOrTheFold() {
        // An image of NaN next to the real pixels (the floats before and after the plane) must
        // not reach the columns, and NaN columns at padded taps must not reach the image.
        let g = ConvGeometry(channels: 2, height: 5, width: 4, kernel: 3, padding: 1)
        let image = Tensor(shape: [g.imageSize + 8], repeating: .nan)
        for k in 0..<g.imageSize { image.pointer[4 + k] = Float(k) }
        let cols = Tensor(shape: [g.patchSize, g.outputPixels], repeating: .nan)
        im2col(image.pointer + 4, geometry: g, columns: cols.pointer)
        let leaked = cols.scalars.contains { $0.isNaN }
        #expect(!leaked)
        // Taps on padding: (i, j) with oh + i − 1 or ow + j − 1 outside the image. Put NaN there.
        let grad = Tensor(shape: [g.patchSize, g.outputPixels], repeating: 1)
        for row in 0..<g.patchSize {
            let i = (row / 3) % 3, j = row % 3
            for oh in 0..<5 {
                for ow in 0..<4 where !(0..<5).contains(oh + i - 1) || !(0..<4).contains(ow + j - 1) {
                    grad.pointer[row * g.outputPixels + oh * 4 + ow] = .nan
                }
            }
        }
        let folded = Tensor.zeros([g.channels, g.height, g.width])
        col2imFast(grad.pointer, geometry: g, addingInto: folded.pointer)
        // Each pixel is read by as many taps as fit: 9 inside, 6 on an edge, 4 in a corner.
        let expected: [Float] = (0..<2).flatMap { _ in
            (0..<5).flatMap { h in (0..<4).map { w in
                Float(((h == 0 || h == 4) ? 2 : 3) * ((w == 0 || w == 3) ? 2 : 3))
            } }
        }
        #expect(folded.scalars == expected)
    }

    @Test func geometrySizes() {
        let g = ConvGeometry(channels: 16, height: 14, width: 14, kernel: 5, padding: 2)
        #expect(g.outHeight == 14 && g.outWidth == 14)
        #expect(g.patchSize == 400 && g.outputPixels == 196 && g.imageSize == 3136)
        #expect(!g.columnsAreTheImage)
        #expect(ConvGeometry(channels: 3, height: 4, width: 4, kernel: 1).columnsAreTheImage)
        #expect(!ConvGeometry(channels: 3, height: 4, width: 4, kernel: 1, stride: 2).columnsAreTheImage)
    }
}
