import SynapseCore

/// Gives its input a new shape with the same elements in the same order (no copy), like
/// `Tensor.reshaped(to:)`; one entry may be -1, inferred from the others. Used between
/// layers that see the same numbers differently: an image [N, 1, H, W] as a sequence of H
/// rows [N, H, W] for a recurrent layer, or a sequence's outputs [B, T, C] as B·T rows for
/// a linear head.
/// - Shape: [any] → `shape`.
public final class Reshape: Module {
    /// The output shape (one entry may be -1).
    public let shape: [Int]

    /// A layer that reshapes to `shape`.
    public init(_ shape: [Int]) {
        precondition(shape.filter { $0 == -1 }.count <= 1 && shape.allSatisfy { $0 >= 1 || $0 == -1 },
                     "Reshape: \(shape) may hold one -1 and positive sizes only")
        self.shape = shape
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { x.reshaped(to: shape) }
}
