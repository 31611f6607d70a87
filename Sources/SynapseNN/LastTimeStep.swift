import SynapseCore

/// Keeps only the last step of a batch-first sequence (`lastTimeStep`): the layer between a
/// recurrent module and a classifier head, e.g. `Sequential(LSTM(…), LastTimeStep(), Linear(…))`
/// reading each 28×28 image as 28 rows of 28 pixels.
/// - Shape: [B, T, C] → [B, C].
public final class LastTimeStep: Module {
    /// Creates the layer (no parameters).
    public override init() { super.init() }

    /// `x[:, -1, :]`; the gradient goes to the last step only.
    public override func forward(_ x: Tensor) -> Tensor { lastTimeStep(x) }
}
