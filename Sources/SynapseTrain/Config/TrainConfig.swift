/// How long and how to train: the `train:` section.
public struct TrainConfig: Codable, Equatable, Sendable {
    /// The training loss. For classification, `mse` and `mae` compare softmax outputs with
    /// one-hot targets (a teaching comparison; cross-entropy is the usual choice).
    public enum Loss: String, Codable, CaseIterable, Sendable {
        /// Softmax cross-entropy on the logits (PyTorch `nn.CrossEntropyLoss`).
        case crossEntropy = "cross_entropy"
        /// Mean squared error (PyTorch `nn.MSELoss`).
        case mse
        /// Mean absolute error (PyTorch `nn.L1Loss`).
        case mae
    }

    /// How data-parallel ranks combine the weight gradient of a fully connected layer
    /// (`gradient_exchange`). The other gradients are always all-reduced.
    public enum GradientExchange: String, Codable, CaseIterable, Sendable {
        /// Factors where they are fewer bytes than the gradient (the default): for a layer of
        /// in × out weights and R rows per rank per step on `ranks` ranks, where
        /// 1 + R·(in + out) < 2·in·out / ranks (what an all-gather and a ring all-reduce move).
        case auto
        /// Always all-reduce the full gradient matrices.
        case allreduce
        /// Factors for every fully connected layer, whatever the bytes (for comparison).
        case factors
    }

    /// Passes over the training set (`epochs`). Default 10; 0 means "until `max_steps`".
    public var epochs = 10
    /// Stop after this many optimizer steps, 0 = no limit (`max_steps`). Default 0.
    public var maxSteps = 0
    /// A time budget: stop once this many minutes of training have passed, evaluation and
    /// checkpoint writing not counted, 0 = no limit (`max_minutes`). Default 0. Rank 0's clock
    /// decides and every rank stops at the same step; the run then ends as at `max_steps`
    /// (final validation, checkpoint, exit 0). A cosine schedule then runs over the fraction
    /// of the budget used instead of the steps (as nanoGPT and the PyTorch peer's `--minutes`
    /// do), so the rate reaches its minimum as time runs out. `epochs`/`max_steps` still cap
    /// the run. Where the rate depends on the clock, two runs of the same config differ.
    public var maxMinutes: Double = 0

    /// `maxMinutes` in seconds, or nil when there is no time budget.
    public var timeBudgetSeconds: Double? { maxMinutes > 0 ? maxMinutes * 60 : nil }
    /// The GLOBAL batch: samples per optimizer step summed over all ranks (`batch_size`). Default 64.
    /// Each rank takes `batchSize / worldSize`; the trainer stops early if that does not divide.
    public var batchSize = 64
    /// Seed of every random stream: init, data order, dropout (`seed`). Default 42.
    public var seed: UInt64 = 42
    /// OpenBLAS threads per rank (`threads`). Default 1, measured best when ranks fill the cores.
    public var threads = 1
    /// Training loss (`loss`). Default `cross_entropy`.
    public var loss = Loss.crossEntropy
    /// Cross-entropy against `(1 - ε)·onehot + ε/classes` instead of the one-hot label, ε in
    /// [0, 1) (`label_smoothing`, PyTorch `CrossEntropyLoss(label_smoothing=)`). Default 0.
    /// Train, validation and test losses in the metrics all include it.
    public var labelSmoothing: Float = 0
    /// Log training metrics every N optimizer steps (`log_every`). Default 100.
    public var logEvery = 100
    /// Also write the metrics as a TensorBoard event file in the run directory, rank 0 only
    /// (`tensorboard`; `TensorBoardWriter`, docs/tensorboard.md). Default true. Changes no
    /// training, so it is left out of `Config.hash`: turning it off or on never changes a hash.
    public var tensorboard = true
    /// Also checkpoint every N steps, 0 = only at epoch ends and at the end (`checkpoint_every`). Default 0.
    public var checkpointEvery = 0
    /// Checkpoints kept on disk; older ones are deleted (`keep_checkpoints`). Default 3.
    public var keepCheckpoints = 3
    /// Global batch size for evaluation (`eval_batch_size`). Default 1000.
    public var evalBatchSize = 1000
    /// Rescale gradients whose global L2 norm exceeds this, 0 = off (`grad_clip_norm`). Default 0.
    /// Like PyTorch `clip_grad_norm_`, applied after the all-reduce, identically on every rank.
    public var gradClipNorm: Float = 0
    /// Early stopping on a validation metric (`early_stopping`). Default off.
    public var earlyStopping = EarlyStoppingConfig()
    /// Learning-rate schedule (`schedule`). Default constant.
    public var schedule = ScheduleConfig()
    /// Keep an exponential moving average of the weights (and batch norm statistics) with this
    /// decay, in [0, 1); 0 = off (`ema_decay`). Default 0. When on, validation, test, early
    /// stopping and `synapse eval` use the averaged weights; checkpoints carry both, so a resume
    /// is exact. 0.999 averages over about the last 1,000 steps (`ExponentialMovingAverage`).
    public var emaDecay: Float = 0
    /// Sharpness-aware minimization: radius ρ of the neighbourhood whose worst point each step's
    /// gradient is taken at, 0 = off (`sam_rho`). Default 0. Each step then runs forward and
    /// backward twice on the same batch (twice the compute); 0.05 is the usual SAM value, 0.5–2
    /// with `sam_adaptive` (`SharpnessAwareMinimization`).
    public var samRho: Float = 0
    /// Scale SAM's ascent per weight by |w| (ASAM) (`sam_adaptive`). Default false.
    public var samAdaptive = false
    /// Learn from trained teachers' softened predictions as well as from the labels
    /// (`distillation`). Default off.
    public var distillation = DistillationConfig()
    /// Name prefixes of the parameters that do not train (`freeze`): a layer (`conv1`, every
    /// tensor under it) or one tensor (`fc1.bias`), whole dotted components only, as named in
    /// model.safetensors. Frozen parameters keep their exact values: no gradient, no weight
    /// decay, no momentum, no L1/L2 penalty, and the moving average keeps them too. A batch norm
    /// layer whose parameters are all frozen also keeps its running statistics: it normalizes
    /// with them even while the rest trains (see `LayerFreezing`). Default none.
    public var freeze: [String] = []
    /// Gradient accumulation: micro-batches per optimizer step (`accumulate_steps`). Default 1.
    /// The global batch stays `batch_size`: each rank runs K forward and backward passes on
    /// micro-batches of `batch_size / (ranks × K)` rows (contiguous slices of its share), adding
    /// their gradients, and communicates once, after the last. The update equals the one
    /// without accumulation to float rounding. Batch norm normalizes each micro-batch with its
    /// own statistics (as in PyTorch), so with batch norm the result depends on K; dropout masks
    /// of micro-batch m on rank r are drawn as a rank r·K + m would draw them. Changes the
    /// numbers, so it is part of `Config.hash` — but only when it is not 1, so that every config
    /// written before it existed keeps its hash.
    public var accumulateSteps = 1
    /// All-reduce the gradients in buckets while backward still runs (`overlap`). Default true.
    /// false: one all-reduce of the whole arena after backward (the comparison path). Same
    /// numbers either way, so it is left out of `Config.hash`.
    public var overlap = true
    /// Size of a gradient bucket in MiB for `overlap` (`bucket_mb`). Default 1: large enough that
    /// the fixed cost of a collective (tens of µs) stays a few percent of moving the bucket
    /// (~0.1 ms in shared memory, ~1 ms over 10 Gb/s), small enough that the first bucket leaves
    /// early in backward for models of a few MB. Left out of `Config.hash`.
    public var bucketMb: Double = 1
    /// The collective watchdog: seconds a rank waits in any collective before the whole job is
    /// aborted with a message naming the step and the operation, exit status 1
    /// (`collective_timeout`); 0 = wait forever. Default 300. Like PyTorch's process-group
    /// timeout; the last checkpoint stays intact. Left out of `Config.hash`.
    public var collectiveTimeout: Double = 300
    /// How ranks combine a fully connected layer's weight gradient (`gradient_exchange`):
    /// `auto` (default), `allreduce` or `factors`. A layer's gradient over R rows is
    /// `dyᵀ · x`, of rank at most R; with factors each rank all-gathers every rank's x [R, in] and
    /// dy [R, out] and forms the whole batch's gradient itself with one matrix product per rank:
    /// exact, with fewer bytes on the wire when R·(in + out) is well below in·out (small batches
    /// per rank, wide layers: the Fashion-MNIST MLP's first layer on 2 ranks sends 0.27 MB
    /// instead of 0.80), at the price of that product on every rank. For `mlp` and `cnn` models
    /// (each fully connected layer sees one row per sample); ignored on one rank. Changes only
    /// the float rounding (the order of a sum), so it is left out of `Config.hash`.
    public var gradientExchange = GradientExchange.auto

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs
        case maxSteps = "max_steps"
        case maxMinutes = "max_minutes"
        case batchSize = "batch_size"
        case seed, threads, loss
        case labelSmoothing = "label_smoothing"
        case logEvery = "log_every"
        case tensorboard
        case checkpointEvery = "checkpoint_every"
        case keepCheckpoints = "keep_checkpoints"
        case evalBatchSize = "eval_batch_size"
        case gradClipNorm = "grad_clip_norm"
        case earlyStopping = "early_stopping"
        case schedule
        case emaDecay = "ema_decay"
        case samRho = "sam_rho"
        case samAdaptive = "sam_adaptive"
        case distillation
        case freeze
        case accumulateSteps = "accumulate_steps"
        case overlap
        case bucketMb = "bucket_mb"
        case collectiveTimeout = "collective_timeout"
        case gradientExchange = "gradient_exchange"
    }

    /// Checks value ranges; `path` is where this section sits (`train`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(epochs >= 0, path.appending("epochs"), "must be 0 or more, got \(epochs)")
        try require(maxSteps >= 0, path.appending("max_steps"), "must be 0 (no limit) or more, got \(maxSteps)")
        try require(maxMinutes >= 0 && maxMinutes.isFinite, path.appending("max_minutes"),
                    "must be 0 (no limit) or a number of minutes, got \(maxMinutes); e.g. max_minutes: 15")
        try require(epochs > 0 || maxSteps > 0, path.appending("epochs"),
                    "epochs and max_steps are both 0, so there is nothing to train; set epochs: 10 or max_steps: 1000")
        try require(batchSize >= 1, path.appending("batch_size"),
                    "must be at least 1 (the global batch over all ranks), got \(batchSize); e.g. batch_size: 64")
        try require(threads >= 1, path.appending("threads"),
                    "must be at least 1 (OpenBLAS threads per rank), got \(threads); "
                    + "1 is best when ranks fill the cores")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, path.appending("label_smoothing"),
                    "must be in [0, 1) (the share of the target spread over all classes), got \(labelSmoothing); e.g. label_smoothing: 0.1")
        try require(labelSmoothing == 0 || loss == .crossEntropy, path.appending("label_smoothing"),
                    "applies to loss: cross_entropy only, but loss is \(loss.rawValue); remove label_smoothing or use cross_entropy")
        try require(logEvery >= 1, path.appending("log_every"), "must be at least 1 step, got \(logEvery)")
        try require(checkpointEvery >= 0, path.appending("checkpoint_every"),
                    "must be 0 (epoch ends only) or a number of steps, got \(checkpointEvery)")
        try require(keepCheckpoints >= 1, path.appending("keep_checkpoints"),
                    "must be at least 1 (the newest checkpoint is needed to resume), got \(keepCheckpoints)")
        try require(evalBatchSize >= 1, path.appending("eval_batch_size"),
                    "must be at least 1, got \(evalBatchSize); e.g. eval_batch_size: 1000")
        try require(gradClipNorm >= 0, path.appending("grad_clip_norm"),
                    "must be 0 (off) or a positive norm, got \(gradClipNorm); e.g. grad_clip_norm: 1.0")
        try require(emaDecay >= 0 && emaDecay < 1, path.appending("ema_decay"),
                    "must be 0 (off) or a decay in (0, 1), got \(emaDecay); e.g. ema_decay: 0.999 averages over about the last 1,000 steps")
        try require(samRho >= 0, path.appending("sam_rho"),
                    "must be 0 (off) or a positive radius, got \(samRho); e.g. sam_rho: 0.05 (sam_adaptive: true wants 0.5 to 2)")
        try require(!samAdaptive || samRho > 0, path.appending("sam_adaptive"),
                    "needs sam_rho > 0 (sharpness-aware minimization is off); set sam_rho: 1.0 or remove sam_adaptive")
        try distillation.validate(at: path.appending("distillation"))
        try require(!distillation.isEnabled || loss == .crossEntropy, path.appending("distillation").appending("teachers"),
                    "distillation adds to the cross-entropy loss, but loss is \(loss.rawValue); use loss: cross_entropy or remove distillation")
        try validateNamePrefixes(freeze, at: path.appending("freeze"))
        try validateCommunication(at: path)
        try earlyStopping.validate(at: path.appending("early_stopping"))
        try schedule.validate(at: path.appending("schedule"))
    }
}

extension TrainConfig {
    /// The run's optimizer steps: `epochs` of `stepsPerEpoch`, capped by `max_steps` when it is
    /// set; with `epochs: 0`, `max_steps` alone.
    public func totalSteps(stepsPerEpoch: Int) -> Int {
        guard maxSteps > 0 else { return stepsPerEpoch * epochs }
        return epochs > 0 ? min(stepsPerEpoch * epochs, maxSteps) : maxSteps
    }
}

extension TrainConfig {
    /// `accumulate_steps`, `bucket_mb` and `collective_timeout` (the rank count is checked when
    /// training starts: `ImageDataSource.requireDivisibleBatch`).
    func validateCommunication(at path: ConfigKeyPath) throws(ConfigError) {
        try require(accumulateSteps >= 1, path.appending("accumulate_steps"),
                    "must be at least 1 (micro-batches per optimizer step; 1 = no accumulation), got \(accumulateSteps)")
        try require(batchSize % accumulateSteps == 0, path.appending("accumulate_steps"),
                    "must divide train.batch_size (\(batchSize)) into equal micro-batches, got \(accumulateSteps); "
                    + "e.g. accumulate_steps: \(largestDivisor(of: batchSize, atMost: accumulateSteps))")
        try require(bucketMb > 0 && bucketMb.isFinite, path.appending("bucket_mb"),
                    "must be a positive size in MiB, got \(bucketMb); e.g. bucket_mb: 1")
        try require(collectiveTimeout >= 0 && collectiveTimeout.isFinite, path.appending("collective_timeout"),
                    "must be 0 (no watchdog) or a number of seconds, got \(collectiveTimeout); e.g. collective_timeout: 300")
    }

    private func largestDivisor(of n: Int, atMost k: Int) -> Int {
        (1...max(1, min(n, k))).last { n % $0 == 0 } ?? 1
    }
}
