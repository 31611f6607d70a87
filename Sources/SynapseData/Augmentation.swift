#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SynapseCore

/// Random image transformations applied while a training batch is built (torchvision's
/// `RandomCrop(size, padding)`, `RandomHorizontalFlip()` and `RandomErasing(p)`).
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
    /// Probability of erasing one random rectangle after cropping and flipping (Zhong et al.,
    /// "Random Erasing Data Augmentation", arXiv:1708.04896; 0 = off). The rectangle covers
    /// 2–33 % of the image with aspect ratio h/w in 0.3–3.3 (log-uniform), and is set to 0
    /// in normalized units (the dataset's mean pixel): torchvision's `RandomErasing(p)` after
    /// `Normalize`, with its default scale, ratio and value.
    public var erasing: Float

    /// Creates an augmentation (the default does nothing).
    public init(cropPadding: Int = 0, horizontalFlip: Bool = false, erasing: Float = 0) {
        precondition(cropPadding >= 0, "Augmentation: cropPadding must be ≥ 0")
        precondition(erasing >= 0 && erasing <= 1, "Augmentation: erasing must be a probability")
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.erasing = erasing
    }

    /// Whether any transformation is on.
    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip && erasing == 0 }

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
        if erasing > 0 && rng.nextUniform() < erasing, let r = erasedRectangle(height: H, width: W, rng: &rng) {
            for c in 0..<C {
                for y in r.top..<(r.top + r.height) {
                    let row = dst + (c * H + y) * W
                    for x in r.left..<(r.left + r.width) { row[x] = 0 }
                }
            }
        }
    }

    /// The rectangle random erasing blanks in an H×W image: area 2–33 % of the image, aspect
    /// ratio h/w log-uniform in 0.3–3.3, at a uniform position. Like torchvision, it makes up to
    /// 10 draws for a rectangle that fits and erases nothing (nil) if none does.
    func erasedRectangle(height H: Int, width W: Int,
                         rng: inout RandomGenerator) -> (top: Int, left: Int, height: Int, width: Int)? {
        let logLow = logf(0.3), logHigh = logf(3.3)
        for _ in 0..<10 {
            let area = Float(H * W) * rng.nextUniform(0.02, 0.33)
            let ratio = expf(rng.nextUniform(logLow, logHigh))
            let h = Int((area * ratio).squareRoot().rounded()), w = Int((area / ratio).squareRoot().rounded())
            guard h >= 1 && w >= 1 && h < H && w < W else { continue }
            return (rng.nextInt(below: H - h + 1), rng.nextInt(below: W - w + 1), h, w)
        }
        return nil
    }
}
