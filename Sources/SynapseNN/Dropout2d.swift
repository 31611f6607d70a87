import SynapseCore

/// Channel dropout as a layer (PyTorch `nn.Dropout2d`): in training mode each (sample,
/// channel) feature map is zeroed with probability `p` and the others are scaled by
/// `1 / (1 - p)`; in evaluation mode it is the identity. See `dropout2d` for why whole
/// channels.
/// - Shape: [N, C, H, W] → same.
public final class Dropout2d: Module, RandomizedModule {
    /// Probability of zeroing a channel.
    public let p: Float
    /// The mask generator, one draw per (sample, channel); the trainer reseeds it per step.
    public var rng: RandomGenerator

    /// Creates the layer; `p` in [0, 1) (PyTorch default 0.5).
    public init(p: Float = 0.5, rng: RandomGenerator = RandomGenerator(seed: 0, stream: RandomGenerator.Stream.dropout)) {
        precondition(p >= 0 && p < 1, "Dropout2d: p must be in [0, 1), got \(p)")
        self.p = p
        self.rng = rng
        super.init()
    }

    /// Drops whole channels in training mode; the identity in evaluation mode.
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "Dropout2d: input must be [N, C, H, W], got \(x.shape)")
        return isTraining ? dropout2d(x, p: p, rng: &rng) : x
    }
}
