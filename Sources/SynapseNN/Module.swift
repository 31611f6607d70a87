import SynapseCore

/// Base class of every layer and model: holds named parameters, buffers and child modules,
/// and the train/eval mode.
///
/// Subclasses register what they own in their initializer (`registerParameter`,
/// `registerBuffer`, `registerModule`) and override `forward`. Names compose with dots like
/// PyTorch's `state_dict` keys (`fc1.weight`, `0.bias`), so checkpoints are readable by name
/// and their order follows registration order, never memory addresses.
open class Module {
    /// Whether the module is in training mode (dropout active, batch norm uses batch stats).
    public private(set) var isTraining = true
    private var parameterSlots: [(name: String, tensor: Tensor)] = []
    private var bufferSlots: [(name: String, tensor: Tensor)] = []
    private var childSlots: [(name: String, module: Module)] = []

    /// Creates an empty module.
    public init() {}

    /// Computes the module's output. Subclasses override this.
    /// - Shape: defined by each layer.
    open func forward(_ x: Tensor) -> Tensor {
        fatalError("\(type(of: self)) must override forward(_:)")
    }

    /// Calls `forward`.
    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// Adds a learnable parameter under `name`; it starts requiring gradients.
    @discardableResult
    public func registerParameter(_ name: String, _ tensor: Tensor) -> Tensor {
        precondition(!name.contains("."), "parameter names must not contain '.': \(name)")
        tensor.requiresGrad = true
        parameterSlots.append((name, tensor))
        return tensor
    }

    /// Adds a non-learnable state tensor (e.g. batch norm running mean) saved in checkpoints.
    @discardableResult
    public func registerBuffer(_ name: String, _ tensor: Tensor) -> Tensor {
        bufferSlots.append((name, tensor))
        return tensor
    }

    /// Adds a child module under `name`.
    @discardableResult
    public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
        precondition(!name.contains("."), "module names must not contain '.': \(name)")
        childSlots.append((name, module))
        return module
    }

    /// Direct children, in registration order.
    public var children: [(name: String, module: Module)] { childSlots }

    /// All parameters of this module and its descendants, with dotted names.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var out = parameterSlots
        for (childName, child) in childSlots {
            out += child.namedParameters().map { ("\(childName).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// All buffers of this module and its descendants, with dotted names.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        var out = bufferSlots
        for (childName, child) in childSlots {
            out += child.namedBuffers().map { ("\(childName).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// Total number of parameter elements.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    /// Switches this module and its descendants to training (`true`) or evaluation mode.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in childSlots { child.train(on) }
    }

    /// Switches to evaluation mode (same as `train(false)`).
    public func eval() { train(false) }

    /// Stops gradients for every parameter whose name starts with `prefix` (all when empty):
    /// they keep their values during training (transfer learning).
    public func freeze(prefix: String = "") { setRequiresGrad(false, prefix: prefix) }

    /// Undoes `freeze` for parameters whose name starts with `prefix`.
    public func unfreeze(prefix: String = "") { setRequiresGrad(true, prefix: prefix) }

    private func setRequiresGrad(_ on: Bool, prefix: String) {
        for (name, t) in namedParameters() where prefix.isEmpty || name == prefix || name.hasPrefix(prefix + ".") {
            t.requiresGrad = on
        }
    }
}
