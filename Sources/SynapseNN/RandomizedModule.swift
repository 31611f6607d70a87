import SynapseCore

/// A layer that draws random numbers while training (dropout masks): it holds its own
/// generator, which the trainer reseeds before each step from (seed, step, rank, layer), so a
/// run needs no generator state to resume exactly and each rank draws its own masks.
public protocol RandomizedModule: Module {
    /// The generator the layer draws from in training mode.
    var rng: RandomGenerator { get set }
}

extension Module {
    /// Every `RandomizedModule` in this module and its descendants, depth first in
    /// registration order (the order that numbers them for reseeding).
    public func randomizedModules() -> [any RandomizedModule] {
        ((self as? any RandomizedModule).map { [$0] } ?? []) + children.flatMap { $0.module.randomizedModules() }
    }
}
