import Testing
import SynapseCore
import SynapseData

@Suite struct AugmentationTests {
    /// Identity lookup table: byte b → Float(b), so outputs read as the source bytes.
    let table: [Float] = (0..<256).map { Float($0) }

    /// Independent oracle: pad with zeros, shift the window by (dy, dx), optionally mirror.
    func oracle(_ img: [UInt8], C: Int, H: Int, W: Int, dy: Int, dx: Int, flip: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: C * H * W)
        for c in 0..<C {
            for y in 0..<H {
                for x in 0..<W {
                    let fx = flip ? W - 1 - x : x
                    let sy = y + dy, sx = fx + dx
                    out[(c * H + y) * W + x] = (0..<H).contains(sy) && (0..<W).contains(sx)
                        ? Float(img[(c * H + sy) * W + sx]) : 0
                }
            }
        }
        return out
    }

    /// Replays the draws `apply` makes, to know which crop and flip it chose.
    func draws(seed: UInt64, padding p: Int, flip: Bool) -> (Int, Int, Bool) {
        var rng = RandomGenerator(seed: seed)
        let dy = p > 0 ? rng.nextInt(below: 2 * p + 1) - p : 0
        let dx = p > 0 ? rng.nextInt(below: 2 * p + 1) - p : 0
        let f = flip && rng.nextUniform() < 0.5
        return (dy, dx, f)
    }

    @Test func cropAndFlipMatchThePaddedCropOracle() {
        let C = 2, H = 3, W = 4
        let img: [UInt8] = (0..<(C * H * W)).map { UInt8($0 + 1) }
        var sawFlip = false, sawShift = false
        for seed in UInt64(0)..<40 {
            let aug = Augmentation(cropPadding: 1, horizontalFlip: true)
            var out = [Float](repeating: -1, count: img.count)
            var rng = RandomGenerator(seed: seed)
            img.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { t in
                    out.withUnsafeMutableBufferPointer { dst in
                        aug.apply(src: src.baseAddress!, dst: dst.baseAddress!, shape: [C, H, W], table: t, rng: &rng)
                    }
                }
            }
            let (dy, dx, flip) = draws(seed: seed, padding: 1, flip: true)
            sawFlip = sawFlip || flip
            sawShift = sawShift || dy != 0 || dx != 0
            #expect(out == oracle(img, C: C, H: H, W: W, dy: dy, dx: dx, flip: flip), "seed \(seed)")
        }
        #expect(sawFlip && sawShift)
    }

    @Test func hand_computedShiftAndMirror() {
        // 1×2×3 image [[1,2,3],[4,5,6]]; window shifted by (dy, dx) = (1, -1), mirrored:
        // row 0 reads source row 1 at mirrored-then-shifted columns: x=0 → fx=2 → sx=1 → 5,
        // x=1 → fx=1 → sx=0 → 4, x=2 → fx=0 → sx=-1 → padding 0; row 1 reads row 2 → padding.
        let out = oracle([1, 2, 3, 4, 5, 6], C: 1, H: 2, W: 3, dy: 1, dx: -1, flip: true)
        #expect(out == [5, 4, 0, 0, 0, 0])
    }

    /// Random erasing blanks one rectangle in every channel (to 0, the normalized mean) and
    /// leaves every other pixel as it was; its size and shape stay in torchvision's ranges.
    @Test func randomErasingBlanksOneRectangleOfTheDocumentedSize() {
        let C = 2, H = 28, W = 28
        let img: [UInt8] = (0..<(C * H * W)).map { UInt8(1 + $0 % 250) }   // no pixel is 0
        var erased = 0
        for seed in UInt64(0)..<200 {
            var out = [Float](repeating: -1, count: img.count)
            var rng = RandomGenerator(seed: seed)
            img.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { t in
                    out.withUnsafeMutableBufferPointer { dst in
                        Augmentation(erasing: 0.5).apply(src: src.baseAddress!, dst: dst.baseAddress!,
                                                         shape: [C, H, W], table: t, rng: &rng)
                    }
                }
            }
            let zeros = (0..<(H * W)).filter { out[$0] == 0 }
            guard !zeros.isEmpty else {
                #expect(out == img.map(Float.init), "seed \(seed): an image that is not erased is unchanged")
                continue
            }
            erased += 1
            let ys = zeros.map { $0 / W }, xs = zeros.map { $0 % W }
            let h = ys.max()! - ys.min()! + 1, w = xs.max()! - xs.min()! + 1
            #expect(zeros.count == h * w, "seed \(seed): the erased pixels form one rectangle")
            // Rounding h and w to whole pixels moves the area and ratio a little off the drawn values.
            #expect(Double(h * w) >= 0.02 * 784 * 0.7 && Double(h * w) <= 0.33 * 784 * 1.3, "seed \(seed): area \(h * w)")
            #expect(Double(h) / Double(w) >= 0.3 * 0.6 && Double(h) / Double(w) <= 3.3 / 0.6, "seed \(seed): \(h)×\(w)")
            for i in 0..<(H * W) {
                let inside = zeros.contains(i)
                for c in 0..<C {
                    #expect(out[c * H * W + i] == (inside ? 0 : Float(img[c * H * W + i])), "seed \(seed) pixel \(i)")
                }
            }
        }
        #expect(erased > 70 && erased < 130, "about half of 200 images are erased with p = 0.5, got \(erased)")
    }

    @Test func augmentedBatchesAreTheSameForAnyRankCount() throws {
        let n = 24
        let images: [UInt8] = (0..<(n * 16)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let ds = ImageDataset(images: images, labels: (0..<n).map { Int32($0 % 10) }, imageShape: [1, 4, 4],
                              classNames: (0..<10).map(String.init))
        let aug = Augmentation(cropPadding: 1, horizontalFlip: true, erasing: 0.5)
        func globalBatch(_ S: Int, epoch: Int, k: Int) throws -> [[Float]] {
            var rows = [[Float]](repeating: [], count: 12)
            for r in 0..<S {
                let sampler = DistributedSampler(indices: Array(0..<n), worldSize: S, rank: r, seed: 5)
                let loader = try DataLoader(dataset: ds, sampler: sampler, batchSize: 12 / S,
                                            normalization: .unitInterval, dropLastBatch: true, augmentation: aug)
                let b = loader.batch(k, epoch: epoch)
                for j in 0..<b.count { rows[j * S + r] = Array(b.inputs.scalars[(j * 16)..<((j + 1) * 16)]) }
            }
            return rows
        }
        for epoch in 0..<2 {
            for k in 0..<2 {
                let one = try globalBatch(1, epoch: epoch, k: k)
                #expect(try globalBatch(2, epoch: epoch, k: k) == one)
                #expect(try globalBatch(3, epoch: epoch, k: k) == one)
            }
        }
        // And augmentation really changes something.
        let plain = try DataLoader(dataset: ds, sampler: DistributedSampler(indices: Array(0..<n), seed: 5),
                                   batchSize: 12, normalization: .unitInterval).batch(0, epoch: 0).inputs.scalars
        #expect(plain.map { $0 * 255 } != (try globalBatch(1, epoch: 0, k: 0)).flatMap { $0 }.map { $0 * 255 })
    }
}
