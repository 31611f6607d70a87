import SynapseCore

/// A residual connection: `y = body(x) + shortcut(x)`, with the identity as the default
/// shortcut. The body learns a correction to its input instead of a whole new mapping, which
/// lets gradients reach early layers of deep networks through the additions.
/// Reference: He et al., "Deep Residual Learning for Image Recognition", CVPR 2016
/// (arXiv:1512.03385).
///
/// Generic over any body: a ResNet basic block is `Residual(body: Sequential(conv, bn, relu,
/// conv, bn), shortcut: ...)` followed by a ReLU; a projection shortcut (1×1 convolution or a
/// Linear layer) matches shapes when the body changes them. Children are named `body` and
/// `shortcut`, so parameters read `body.0.weight`, `shortcut.weight`.
/// - Shape: x → body(x)'s shape, which must equal shortcut(x)'s (x's own without shortcut).
public final class Residual: Module {
    /// The residual branch F in y = F(x) + x.
    public let body: Module
    /// The projection applied to x on the skip path; nil for the identity.
    public let shortcut: Module?

    /// Wraps `body` (and an optional `shortcut`) in a residual connection.
    public init(body: Module, shortcut: Module? = nil) {
        self.body = body
        self.shortcut = shortcut
        super.init()
        registerModule("body", body)
        if let shortcut { registerModule("shortcut", shortcut) }
    }

    /// body(x) + shortcut(x).
    public override func forward(_ x: Tensor) -> Tensor {
        let branch = body(x)
        let skip = shortcut.map { $0(x) } ?? x
        precondition(branch.shape == skip.shape,
                     "Residual: body output \(branch.shape) differs from the shortcut's \(skip.shape) for input \(x.shape); "
                     + "give a shortcut module that maps the input to the body's output shape")
        return add(branch, skip)
    }
}
