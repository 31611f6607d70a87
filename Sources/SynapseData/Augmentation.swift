import SynapseCore

/// Random image transformations applied while a training batch is built (torchvision's
/// `RandomCrop(size, padding)` and `RandomHorizontalFlip()`).
///
/// Each sample's randomness comes from a generator seeded by (seed, epoch, dataset index), not
/// from a stream shared by the batch, so the transformation a sample gets does not depend on
/// which rank loads it or how many ranks there are: a run is reproducible and identical for
/// any world size.
public struct Augmentation: Sendable, Equatable {
    /// Zero padding added on every side before a random crop back to the original size
    /// (0 = no cropping). The padding is black (pixel 0), as torchvision pads before `Normalize`.
    public var cropPadding: Int
    /// Whether to mirror images left–right with probability ½.
    public var horizontalFlip: Bool

    /// Creates an augmentation (the default does nothing).
    public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
        precondition(cropPadding >= 0, "Augmentation: cropPadding must be ≥ 0")
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// Whether any transformation is on.
    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// Writes one augmented image: reads bytes `src` ([C, H, W]), maps them through `table`
    /// (byte → normalized value) and writes `dst` ([C, H, W]). Pixels that come from the
    /// padding get `table[0]`.
    /// - Shape: src, dst [C, H, W] for `shape` = [C, H, W].
    public func apply(src: UnsafePointer<UInt8>, dst: UnsafeMutablePointer<Float>, shape: [Int],
                      table: UnsafeBufferPointer<Float>, rng: inout RandomGenerator) {
        let C = shape[0], H = shape[1], W = shape[2]
        let p = cropPadding
        // Offset of the crop window in the padded image, in 0...2p; (p, p) is "no shift".
        let dy = p > 0 ? rng.nextInt(below: 2 * p + 1) - p : 0
        let dx = p > 0 ? rng.nextInt(below: 2 * p + 1) - p : 0
        let flip = horizontalFlip && rng.nextUniform() < 0.5
        let fill = table[0]
        for c in 0..<C {
            let plane = src + c * H * W, out = dst + c * H * W
            for y in 0..<H {
                let sy = y + dy
                let row = out + y * W
                guard sy >= 0 && sy < H else {
                    for x in 0..<W { row[x] = fill }
                    continue
                }
                for x in 0..<W {
                    let cx = flip ? W - 1 - x : x       // flip, then crop (both commute with padding)
                    let sx = cx + dx
                    row[x] = (sx >= 0 && sx < W) ? table[Int(plane[sy * W + sx])] : fill
                }
            }
        }
    }
}
