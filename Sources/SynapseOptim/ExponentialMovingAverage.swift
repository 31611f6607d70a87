import SynapseCore

/// An exponential moving average of the weights (Polyak averaging), kept beside the model.
///
/// After every optimizer step each averaged value moves a little toward the live one:
///
///     d       = min(decay, (1 + t) / (10 + t))      t = updates made so far
///     average = d · average + (1 − d) · live
///
/// The ramp `(1 + t) / (10 + t)` is TensorFlow's `ExponentialMovingAverage(num_updates=)`: early
/// on, when the average still remembers the random initialization, it follows the live weights
/// closely; after a few hundred updates `decay` takes over. With decay 0.999 the average spans
/// roughly the last 1/(1 − 0.999) = 1,000 steps.
///
/// SGD's last iterate jitters around a minimum; the average sits nearer its centre, which
/// usually generalizes better (Polyak & Juditsky 1992; timm's `ModelEmaV2`). The module buffers
/// (batch norm running statistics) are averaged the same way, as `ModelEmaV2` does, so the
/// averaged weights come with statistics that match them.
///
/// Every rank holds the same live parameters (rule 3 of DESIGN.md), so every rank computes the
/// same average with no communication. A value that does not move (a frozen parameter) keeps an
/// average equal to it, exactly.
public final class ExponentialMovingAverage {
    /// The target decay, in (0, 1).
    public let decay: Float
    /// Updates made so far (`t` above); saved in checkpoints so a resume continues the ramp.
    public private(set) var updates: Int
    /// The averaged parameters, laid out like `arena.values`.
    public private(set) var parameters: [Float]
    /// The averaged buffers, one array per tensor of `buffers`.
    public private(set) var buffers: [[Float]]

    private let arena: ParameterArena
    private let liveBuffers: [Tensor]

    /// Starts the average at the current weights and buffers.
    /// - Parameters:
    ///   - decay: in (0, 1); 0.999 averages over about the last thousand steps.
    ///   - arena: the parameters whose average is kept.
    ///   - buffers: the module buffers to average with the parameters (batch norm statistics).
    public init(decay: Float, arena: ParameterArena, buffers: [Tensor]) {
        precondition(decay > 0 && decay < 1, "EMA decay must be in (0, 1), got \(decay)")
        self.decay = decay
        self.arena = arena
        self.liveBuffers = buffers
        self.updates = 0
        self.parameters = Array(arena.values)
        self.buffers = buffers.map(\.scalars)
    }

    /// Starts the average over at the model's current weights and buffers (t = 0).
    public func restart() {
        load(parameters: Array(arena.values), buffers: liveBuffers.map(\.scalars), updates: 0)
    }

    /// The decay of the next update: the ramp, capped at `decay`.
    public var currentDecay: Float { min(decay, Float(1 + updates) / Float(10 + updates)) }

    /// Moves the average toward the live weights and buffers; call after each optimizer step.
    public func update() {
        let d = currentDecay
        Self.blend(&parameters, toward: UnsafeBufferPointer(arena.values), keeping: d)
        for (i, tensor) in liveBuffers.enumerated() {
            Self.blend(&buffers[i], toward: UnsafeBufferPointer(tensor.data), keeping: d)
        }
        updates += 1
    }

    /// average = d · average + (1 − d) · live, elementwise. Where the average already equals the
    /// live value it stays as it is: in Float, d·a + (1 − d)·a lands one ulp away from a for
    /// about one value in 3,500, and a value that never changes (a frozen parameter, a frozen batch
    /// norm layer's statistics) must keep its average bit for bit.
    private static func blend(_ average: inout [Float], toward live: UnsafeBufferPointer<Float>, keeping d: Float) {
        let e = 1 - d
        average.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count {
                let l = live[i]
                a[i] = a[i] == l ? l : d * a[i] + e * l
            }
        }
    }

    /// Exchanges the averaged values with the live ones in the model (a second call undoes it).
    public func swapWithModel() {
        parameters.withUnsafeMutableBufferPointer { Self.swapValues($0, arena.values) }
        for (i, tensor) in liveBuffers.enumerated() {
            buffers[i].withUnsafeMutableBufferPointer { Self.swapValues($0, tensor.data) }
        }
    }

    private static func swapValues(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<a.count { (a[i], b[i]) = (b[i], a[i]) }
    }

    /// Runs `body` with the averaged weights in the model, then puts the live ones back.
    public func withAveragedWeights<T>(_ body: () throws -> T) rethrows -> T {
        swapWithModel()
        defer { swapWithModel() }
        return try body()
    }

    /// Replaces the average (checkpoint restore, or the best weights of early stopping).
    /// - Precondition: the sizes match the arena and the buffers.
    public func load(parameters: [Float], buffers: [[Float]], updates: Int) {
        precondition(parameters.count == self.parameters.count && buffers.map(\.count) == self.buffers.map(\.count),
                     "EMA state does not match the model")
        self.parameters = parameters
        self.buffers = buffers
        self.updates = updates
    }
}
