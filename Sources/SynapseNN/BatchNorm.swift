import SynapseCore

/// What `BatchNorm1d` and `BatchNorm2d` share (PyTorch's `_BatchNorm`): learnable per-channel
/// scale and shift, running statistics kept as buffers, and an optional reducer that turns it
/// into synchronized batch norm. Use one of the two subclasses, which fix the input rank.
///
/// Parameters: `weight` (γ, starts at 1) and `bias` (β, starts at 0), when `affine`.
/// Buffers, when `trackRunningStatistics` (names as in PyTorch's `state_dict`):
/// `running_mean` [C] (starts at 0), `running_var` [C] (starts at 1) and
/// `num_batches_tracked` of shape `[]` (a scalar; Float here, exact up to 2²⁴ batches, where
/// PyTorch stores an int64).
///
/// Training mode normalizes with the batch's statistics and updates the running ones;
/// evaluation mode normalizes with the running statistics. Without tracking, both modes use
/// batch statistics (PyTorch `track_running_stats=False`).
///
/// Synchronized (SyncBatchNorm): set `statisticsReducer` (or call
/// `synchronizeBatchNorm(with:)` on the model) and, in training mode, the statistics and the
/// backward sums cover the global batch of all replicas. Evaluation never synchronizes, as in
/// PyTorch.
public class BatchNorm: Module {
    /// Number of channels C.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let eps: Float
    /// Weight of the new batch in the running statistics; `nil` for a cumulative average
    /// (`1 / num_batches_tracked`), as PyTorch's `momentum=None`.
    public let momentum: Float?
    /// γ [C], or nil without `affine`.
    public let weight: Tensor?
    /// β [C], or nil without `affine`.
    public let bias: Tensor?
    /// Buffer `running_mean` [C], or nil when not tracking running statistics.
    public let runningMean: Tensor?
    /// Buffer `running_var` [C] (unbiased variance), or nil when not tracking.
    public let runningVar: Tensor?
    /// Buffer `num_batches_tracked`, shape `[]`: training-mode forward passes so far.
    public let numBatchesTracked: Tensor?
    /// Sums statistics over replicas (SyncBatchNorm) in training mode; nil for local batch norm.
    public var statisticsReducer: (any BatchStatisticsReducer)?
    /// When true, training mode still normalizes with the batch's statistics but leaves the
    /// running statistics and `num_batches_tracked` as they are: for a second forward pass over
    /// a batch already counted (sharpness-aware minimization's perturbed pass). Default false.
    public var freezesRunningStatistics = false
    /// When true the layer computes as in evaluation mode whatever the model's mode: it
    /// normalizes with its running statistics and never changes them, so it is a fixed
    /// per-channel affine map (Keras's `BatchNormalization` with `trainable = False`, detectron2's
    /// `FrozenBatchNorm2d`). For layers whose γ and β are frozen in fine-tuning; set it with
    /// `fixFrozenBatchNormLayers()`. A layer without running statistics has only the batch's to
    /// use and ignores it. Default false.
    public var isFrozen = false
    private let inputRanks: Set<Int>
    private let layerName: String

    init(featureCount: Int, eps: Float, momentum: Float?, affine: Bool, trackRunningStatistics: Bool,
         statisticsReducer: (any BatchStatisticsReducer)?, inputRanks: Set<Int>, layerName: String) {
        precondition(featureCount > 0, "\(layerName): featureCount must be positive, got \(featureCount)")
        precondition(eps > 0, "\(layerName): eps must be positive, got \(eps)")
        if let momentum { precondition(momentum >= 0 && momentum <= 1, "\(layerName): momentum must be in [0, 1], got \(momentum)") }
        self.featureCount = featureCount
        self.eps = eps
        self.momentum = momentum
        self.statisticsReducer = statisticsReducer
        self.inputRanks = inputRanks
        self.layerName = layerName
        weight = affine ? Tensor(shape: [featureCount], repeating: 1) : nil
        bias = affine ? Tensor.zeros([featureCount]) : nil
        runningMean = trackRunningStatistics ? Tensor.zeros([featureCount]) : nil
        runningVar = trackRunningStatistics ? Tensor(shape: [featureCount], repeating: 1) : nil
        numBatchesTracked = trackRunningStatistics ? Tensor.zeros([]) : nil
        super.init()
        if let weight, let bias {
            registerParameter("weight", weight)
            registerParameter("bias", bias)
        }
        if let runningMean, let runningVar, let numBatchesTracked {
            registerBuffer("running_mean", runningMean)
            registerBuffer("running_var", runningVar)
            registerBuffer("num_batches_tracked", numBatchesTracked)
        }
    }

    /// Normalizes each channel (see the class description for which statistics).
    public override func forward(_ x: Tensor) -> Tensor {
        precondition(inputRanks.contains(x.rank) && x.shape[1] == featureCount,
                     "\(layerName)(featureCount: \(featureCount)): input \(x.shape) should be \(expectedShape)")
        var factor: Float = 0
        let training = isTraining && !(isFrozen && runningMean != nil)
        let updatesRunning = training && !freezesRunningStatistics
        if updatesRunning, let tracked = numBatchesTracked {
            tracked.pointer[0] += 1
            factor = momentum ?? 1 / tracked.pointer[0]
        }
        // Training mode with frozen statistics: batch statistics, running ones untouched (passed as absent).
        let usesRunning = updatesRunning || !training
        return batchNorm(x, runningMean: usesRunning ? runningMean : nil, runningVar: usesRunning ? runningVar : nil,
                         weight: weight, bias: bias,
                         training: training || runningMean == nil, momentum: factor, eps: eps,
                         reducer: training ? statisticsReducer : nil)
    }

    private var expectedShape: String {
        let C = featureCount
        return inputRanks.sorted().map { ["[N, \(C)]", "[N, \(C), L]", "[N, \(C), H, W]"][$0 - 2] }
            .joined(separator: " or ")
    }
}

/// Batch normalization over [N, C] (or [N, C, L]) inputs: PyTorch `nn.BatchNorm1d`, same
/// defaults. See `BatchNorm` for parameters, buffers and synchronization.
/// - Shape: [N, C] or [N, C, L] → same.
public final class BatchNorm1d: BatchNorm {
    /// Creates the layer for `featureCount` channels; γ = 1, β = 0, running mean 0, variance 1.
    public init(featureCount: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStatistics: Bool = true, statisticsReducer: (any BatchStatisticsReducer)? = nil) {
        super.init(featureCount: featureCount, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStatistics: trackRunningStatistics, statisticsReducer: statisticsReducer,
                   inputRanks: [2, 3], layerName: "BatchNorm1d")
    }
}

/// Batch normalization over [N, C, H, W] inputs, statistics per channel over N, H and W:
/// PyTorch `nn.BatchNorm2d`, same defaults. See `BatchNorm` for parameters, buffers and
/// synchronization.
/// - Shape: [N, C, H, W] → same.
public final class BatchNorm2d: BatchNorm {
    /// Creates the layer for `featureCount` channels; γ = 1, β = 0, running mean 0, variance 1.
    public init(featureCount: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStatistics: Bool = true, statisticsReducer: (any BatchStatisticsReducer)? = nil) {
        super.init(featureCount: featureCount, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStatistics: trackRunningStatistics, statisticsReducer: statisticsReducer,
                   inputRanks: [4], layerName: "BatchNorm2d")
    }
}

extension Module {
    /// Sets `freezesRunningStatistics` on every batch-norm layer in this module and its
    /// descendants and returns how many layers it changed.
    @discardableResult
    public func freezeBatchNormStatistics(_ frozen: Bool) -> Int {
        var changed = 0
        if let bn = self as? BatchNorm { bn.freezesRunningStatistics = frozen; changed += 1 }
        for (_, child) in children { changed += child.freezeBatchNormStatistics(frozen) }
        return changed
    }

    /// Sets `isFrozen` on every batch-norm layer in this module and its descendants whose
    /// parameters are all frozen (`freeze(prefix:)`), and clears it on the others, so a frozen
    /// layer keeps its running statistics as well as its γ and β. Layers without parameters
    /// (`affine: false`) are left as they are. Returns the number of frozen layers.
    @discardableResult
    public func fixFrozenBatchNormLayers() -> Int {
        var frozen = 0
        if let bn = self as? BatchNorm {
            let parameters = bn.namedParameters()
            if !parameters.isEmpty { bn.isFrozen = parameters.allSatisfy { !$0.tensor.requiresGrad } }
            if bn.isFrozen { frozen += 1 }
        }
        for (_, child) in children { frozen += child.fixFrozenBatchNormLayers() }
        return frozen
    }

    /// Makes every batch-norm layer in this module and its descendants synchronized through
    /// `reducer` (or local again with nil), like PyTorch's `convert_sync_batchnorm`, and
    /// returns how many layers it changed. The trainer calls it with an adapter of its
    /// communicator when a job runs on several ranks.
    @discardableResult
    public func synchronizeBatchNorm(with reducer: (any BatchStatisticsReducer)?) -> Int {
        var changed = 0
        if let bn = self as? BatchNorm { bn.statisticsReducer = reducer; changed += 1 }
        for (_, child) in children { changed += child.synchronizeBatchNorm(with: reducer) }
        return changed
    }
}
