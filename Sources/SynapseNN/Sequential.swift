import SynapseCore

/// A chain of modules applied in order; children are named "0", "1", ... like PyTorch's
/// `nn.Sequential`, or by the names given.
public final class Sequential: Module {
    /// The layers, in order.
    public private(set) var layers: [Module] = []

    /// A chain named "0", "1", ...
    public init(_ layers: [Module]) {
        super.init()
        for (i, layer) in layers.enumerated() { append(name: String(i), layer) }
    }

    /// A chain of `(name, module)` pairs, e.g. `[("fc1", Linear(...)), ("act1", ReLU())]`.
    public init(named layers: [(String, Module)]) {
        super.init()
        for (name, layer) in layers { append(name: name, layer) }
    }

    /// A chain named "0", "1", ...
    public convenience init(_ layers: Module...) { self.init(layers) }

    private func append(name: String, _ layer: Module) {
        registerModule(name, layer)
        layers.append(layer)
    }

    /// Applies each layer in turn.
    public override func forward(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
