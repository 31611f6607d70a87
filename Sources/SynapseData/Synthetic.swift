#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SynapseCore

/// Points with real-valued targets, for regression and for binary classification with a
/// sigmoid output. - Shape: inputs [N, D], targets [N, T].
public struct RegressionSet {
    /// One point per row.
    public let inputs: Tensor
    /// The target of each point.
    public let targets: Tensor
}

/// Points with integer class labels. - Shape: inputs [N, D], labels [N].
public struct ClassificationSet {
    /// One point per row.
    public let inputs: Tensor
    /// Class of each point, in `0..<classCount`.
    public let labels: [Int32]
    /// Number of classes.
    public let classCount: Int
}

/// Small datasets generated in code, for the first chapters and for tests: no files, and
/// the same points for the same seed.
public enum Synthetic {
    /// The four points of exclusive-or, the classic problem a single neuron cannot solve
    /// (Minsky & Papert, "Perceptrons", 1969) and one hidden layer can.
    /// - Shape: inputs [4, 2] (the corners of the unit square), targets [4, 1] (x₁ XOR x₂).
    public static func xor() -> RegressionSet {
        RegressionSet(inputs: Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1]),
                      targets: Tensor(shape: [4, 1], values: [0, 1, 1, 0]))
    }

    /// Two interleaved spirals, one per class: a boundary no linear model can draw.
    ///
    /// Point i of class 0 sits at angle t = 0.5 + 3π·i/n and radius t / (0.5 + 3π) (about one
    /// and a half turns), class 1 is the same spiral rotated by π, and each coordinate gets
    /// Gaussian noise of standard deviation `noise`. Class 0 comes first, then class 1.
    /// Reference: K. Lang, M. Witbrock, "Learning to tell two spirals apart", 1988.
    /// - Shape: inputs [2·pointsPerClass, 2], labels [2·pointsPerClass].
    public static func twoSpirals(pointsPerClass n: Int, noise: Float = 0.02, seed: UInt64) -> ClassificationSet {
        precondition(n >= 1, "twoSpirals: pointsPerClass must be at least 1, got \(n)")
        var rng = RandomGenerator(seed: seed, stream: RandomGenerator.Stream.initialization, 0x5319_A15)
        var values: [Float] = []
        values.reserveCapacity(4 * n)
        var labels: [Int32] = []
        labels.reserveCapacity(2 * n)
        let turn = 3 * Double.pi
        for label in 0..<2 {
            let sign: Double = label == 0 ? 1 : -1
            for i in 0..<n {
                let t = 0.5 + turn * Double(i) / Double(n)
                let r = t / (0.5 + turn)
                values.append(Float(sign * r * cos(t)) + noise * rng.nextNormal())
                values.append(Float(sign * r * sin(t)) + noise * rng.nextNormal())
                labels.append(Int32(label))
            }
        }
        return ClassificationSet(inputs: Tensor(shape: [2 * n, 2], values: values), labels: labels, classCount: 2)
    }

    /// Noisy samples of y = sin(x) for x uniform in [−π, π): a smooth curve to fit by
    /// regression. - Shape: inputs [count, 1], targets [count, 1].
    public static func sine(count: Int, noise: Float = 0.05, seed: UInt64) -> RegressionSet {
        precondition(count >= 1, "sine: count must be at least 1, got \(count)")
        var rng = RandomGenerator(seed: seed, stream: RandomGenerator.Stream.initialization, 0x5146)
        var xs: [Float] = [], ys: [Float] = []
        xs.reserveCapacity(count)
        ys.reserveCapacity(count)
        for _ in 0..<count {
            let x = rng.nextUniform(-Float.pi, Float.pi)
            xs.append(x)
            ys.append(sin(x) + noise * rng.nextNormal())
        }
        return RegressionSet(inputs: Tensor(shape: [count, 1], values: xs),
                             targets: Tensor(shape: [count, 1], values: ys))
    }
}
