import SynapseCore

/// Something that updates a `ParameterArena`'s values from its gradients, one step at a time.
///
/// Every optimizer works on the whole arena at once: `step()` runs one flat loop over each
/// contiguous range of trainable (not frozen) parameters, reading `arena.grads` and writing
/// `arena.values`. Frozen parameters are never read or written, so weight decay and momentum
/// leave them exactly as they are.
///
/// The optimizer's memory (momentum, Adam's moments, ...) lives in `stateBuffers`, each with the
/// arena's layout, so a checkpoint can save it by parameter name (see `stateTensors` and
/// `loadState(stepCount:tensors:)`). The only scalar state is `stepCount`; the learning rate
/// is a setting, owned and saved by whoever schedules it.
///
/// `step()` never changes `arena.grads`: weight decay is added to a private copy of each
/// gradient, as in PyTorch, so gradient norms logged after the step are the real ones.
///
/// Reference: https://pytorch.org/docs/stable/optim.html
public protocol Optimizer: AnyObject {
    /// The parameters (and gradients) this optimizer updates.
    var arena: ParameterArena { get }
    /// The step size γ of the next `step()`. Schedules change it between steps.
    var learningRate: Float { get set }
    /// Number of `step()` calls made so far (t of the last step). Bias corrections (Adam),
    /// the first-step momentum rule (SGD) and learning rate decay (Adagrad) depend on it, so
    /// a checkpoint saves it and a resumed run restores it.
    var stepCount: Int { get set }
    /// The optimizer's per-parameter state, each buffer with the arena's layout, in a fixed
    /// order. Empty for plain SGD.
    var stateBuffers: [OptimizerStateBuffer] { get }
    /// Applies one update to every trainable parameter from the current gradients and
    /// increments `stepCount`.
    func step()
}

/// One named piece of optimizer state (e.g. `exp_avg`), a float buffer with the same layout
/// as the arena's `values`: element `i` belongs to parameter element `i`.
///
/// A class so that holding it keeps the memory alive.
public final class OptimizerStateBuffer {
    /// PyTorch's name for this state: `momentum_buffer`, `exp_avg`, `exp_avg_sq`, `sum`,
    /// `square_avg`, `grad_avg`.
    public let name: String
    /// The state values, `arena.count` floats.
    public let values: UnsafeMutableBufferPointer<Float>

    /// Allocates `count` floats set to `initialValue`.
    public init(name: String, count: Int, initialValue: Float = 0) {
        self.name = name
        // Capacity ≥ 1 so that an empty arena still has a valid base address.
        let base = allocateAlignedFloats(count)
        base.initialize(repeating: initialValue, count: max(count, 1))
        values = UnsafeMutableBufferPointer(start: base, count: count)
    }

    deinit { values.baseAddress!.deallocate() }

    /// Pointer to the state of the arena element at `offset`.
    @inlinable public func pointer(at offset: Int) -> UnsafeMutablePointer<Float> {
        values.baseAddress! + offset
    }
}

/// The name of an optimizer for messages: its type name (`Adam`, `SGD`, ...).
func optimizerName(_ optimizer: some Optimizer) -> String {
    String(describing: type(of: optimizer))
}
