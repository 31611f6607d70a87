import Foundation
import Dispatch
import SynapseCore
import SynapseComm

/// `synapse bench`: training throughput of a model on real data, measured with the same
/// `Replica.step` that `synapse train` runs, plus peak memory, buffer allocations in the
/// steady state and, with several ranks, the cost of the gradient all-reduce against a raw
/// all-reduce of the same bytes.
public enum Benchmark {
    /// What to measure.
    public struct Options: Sendable {
        /// Samples per rank per step (the global batch is this × ranks) — or, with
        /// `globalBatch`, the global batch split over ranks.
        public var batch = 64
        /// Interpret `batch` as the global batch instead of the per-rank one.
        public var globalBatch = false
        /// Steps not timed (first touches of memory, BLAS warm-up, buffer pool filling).
        public var warmupSteps = 50
        /// Steps timed.
        public var steps = 500
        /// The model: the fashion-mlp MLP 784-256-128-10 by default; `lenet` is the LeNet-like
        /// CNN of the PyTorch peer benchmark.
        public var model = ModelConfig()
        /// A text training config (`data.dataset: text`) to run as it stands: its model, data,
        /// optimizer, schedule and clipping; `batch` (above) is per rank as usual. Image configs
        /// only lend their `model` (set `model` instead), and run on Fashion-MNIST with SGD.
        public var textConfig: Config?
        /// Where the Fashion-MNIST files are.
        public var dataPath = "/usr/share/datasets/fashion-mnist"
        /// Seed.
        public var seed: UInt64 = 42
        /// Put a barrier before each step's all-reduces and time it apart, so that the
        /// all-reduce figure is the collective's own cost (throughput then includes the barrier).
        public var separateSkew = false
        /// All-reduce the gradient in buckets during backward (`train.overlap`), or in one call after it.
        public var overlap = true
        /// Bucket size in MiB for `overlap` (`train.bucket_mb`).
        public var bucketMb: Double = 1
        /// How fully connected layers' weight gradients cross the ranks (`train.gradient_exchange`).
        public var gradientExchange = TrainConfig.GradientExchange.auto
        /// Creates default options (the fashion-mlp benchmark of docs/performance.md).
        public init() {}
    }

    /// Conv(1→16, 5×5, pad 2)-ReLU-MaxPool2 → Conv(16→32, 5×5, pad 2)-ReLU-MaxPool2 →
    /// Linear(1568, 128)-ReLU-Linear(128, 10): the CNN of the PyTorch peer benchmark.
    public static let lenet = ModelConfig(kind: .cnn, hidden: [128], conv: [16, 32], kernelSize: 5)

    /// An MLP with hidden layers of the given widths (`--hidden 256,128`), the rest default.
    public static func mlp(hidden: [Int]) -> ModelConfig { ModelConfig(hidden: hidden) }

    /// The measurements, identical on every rank after the reductions.
    public struct Report: Sendable, Codable {
        /// The model, in words.
        public var model: String
        /// Trainable parameters.
        public var parameters: Int
        /// Ranks that ran the steps.
        public var ranks: Int
        /// Samples (or windows) per rank per step.
        public var perRankBatch: Int
        /// Samples (or windows) per step over all ranks.
        public var globalBatch: Int
        /// Timed steps (after the warm-up).
        public var steps: Int
        /// Wall time of the timed steps.
        public var seconds: Double
        /// Global samples (or windows) per second.
        public var samplesPerSec: Double
        /// Median step time, milliseconds.
        public var medianStepMs: Double
        /// Milliseconds per step this rank waited on the gradient all-reduce (`TimingCommunicator`):
        /// with `train.overlap` only the part that backward did not hide.
        public var allReduceMsPerStep: Double
        /// Time waiting at a barrier for the slowest rank before each all-reduce, per step, milliseconds (nil unless the skew is timed apart).
        public var rankSkewMsPerStep: Double?
        /// Median time of one all-reduce of the gradient's size alone, milliseconds (nil on one rank).
        public var rawAllReduceMs: Double?
        /// Bytes all-reduced per step.
        public var gradientBytes: Int
        /// Peak resident memory of rank 0, MiB.
        public var peakRSSMiB: Double
        /// Tensor buffers allocated during the timed steps (0: every buffer reused).
        public var bufferAllocationsTimed: Int
        /// OpenBLAS threads per rank.
        public var blasThreads: Int
        /// OpenBLAS's kernel set in this process ("SkylakeX", "Haswell", ...).
        public var blasCore: String
        /// A CNN's conv layers timed alone against this core's sgemm rate (rank 0's figures).
        public var convLayers: ConvLayerBenchmark.Report?
        /// The optimizer of the step ("SGD momentum 0.9", "Adam, clip 1.0").
        public var optimizer: String?
        /// Characters per window of a text model (nil for images).
        public var context: Int?
        /// Predicted tokens per second (samples × context) of a text model (nil for images).
        public var tokensPerSec: Double?
        /// Buckets the gradient was all-reduced in during backward (`train.overlap`); 0 when it
        /// was all-reduced in one call after backward (overlap off, or one rank).
        public var overlapBuckets: Int = 0
        /// Fully connected layers whose weight gradients crossed the ranks as their factors
        /// (`train.gradient_exchange`), by parameter name; empty when all were all-reduced.
        public var factoredLayers: [String] = []
        /// Floats each rank sent per step: the all-reduced part of the gradient arena and the
        /// factored layers' blocks (nil on one rank).
        public var floatsSentPerStep: Int? = nil
    }

    /// Runs the benchmark on every rank (collective).
    public static func run(_ o: Options, comm: any Communicator) throws -> Report {
        let perRank = o.globalBatch ? o.batch / comm.size : o.batch
        guard perRank >= 1, !o.globalBatch || o.batch % comm.size == 0 else {
            throw UserError("bench: batch \(o.batch) does not divide over \(comm.size) ranks")
        }
        var config = Config()
        if let text = o.textConfig {
            guard text.data.dataset == .text else { throw UserError("bench: textConfig must be a text config (data.dataset: text)") }
            config = text
        } else {
            config.model = o.model
            config.data.path = o.dataPath
            config.data.validationSize = 0
            config.train.seed = o.seed
            config.optimizer = OptimizerConfig(name: .sgd)
            config.optimizer.lr = 0.05
            config.optimizer.momentum = 0.9
        }
        config.name = "bench"
        config.train.overlap = o.overlap
        config.train.bucketMb = o.bucketMb
        config.train.gradientExchange = o.gradientExchange
        config.train.batchSize = perRank * comm.size
        // The all-reduces of the step pass through a timing decorator: the step has no timing code.
        let timing = TimingCommunicator(comm, separatesSkew: o.separateSkew && comm.size > 1)
        let (replica, source) = try DistributedSync(comm: comm).agreeOnSuccess("loading the benchmark data") {
            let data = try RunData(config: config, comm: comm)
            return (try data.replica(config, comm: timing), data.source)
        }
        try replica.sync.broadcastParameters(replica.arena)
        let stepsPerEpoch = source.stepsPerEpoch

        var stepTimes: [Double] = []
        stepTimes.reserveCapacity(o.steps)
        var allocationsBefore = 0
        var start = DispatchTime.now().uptimeNanoseconds
        for step in 0..<(o.warmupSteps + o.steps) {
            if step == o.warmupSteps {
                try comm.barrier()
                timing.resetTimers()
                allocationsBefore = BufferPool.shared.allocationCount
                start = DispatchTime.now().uptimeNanoseconds
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let batch = try source.trainBatch(epoch: step / stepsPerEpoch, index: step % stepsPerEpoch)
            _ = try replica.step(batch, at: StepPosition(step: step, epoch: step / stepsPerEpoch))
            if step >= o.warmupSteps { stepTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9) }
        }
        var elapsed = [Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9]
        let allocations = BufferPool.shared.allocationCount - allocationsBefore
        try elapsed.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
        stepTimes.sort()

        var raw: Double? = nil
        if comm.size > 1 {
            // The same bytes through a bare all-reduce, for the overhead ratio.
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: replica.arena.count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1)
            var times: [Double] = []
            for i in 0..<(o.steps + 20) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try comm.allReduce(buffer, op: .sum)
                if i >= 20 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9) }
            }
            times.sort()
            raw = times[times.count / 2] * 1000
        }
        let convLayers = ConvLayerBenchmark.run(model: config.model, batch: perRank)
        var comms = [timing.allReduceSeconds, timing.skewSeconds]
        try comms.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
        let samplesPerSec = Double(o.steps * perRank * comm.size) / elapsed[0]
        let context = config.data.dataset == .text ? config.data.context : nil
        var optimizer = o.textConfig == nil ? "SGD momentum 0.9" : "\(config.optimizer.name.rawValue), lr \(config.optimizer.lr)"
        if config.train.gradClipNorm > 0 { optimizer += ", gradients clipped at \(config.train.gradClipNorm)" }
        return Report(model: config.model.summary(),
                      parameters: replica.model.parameterCount, ranks: comm.size, perRankBatch: perRank, globalBatch: perRank * comm.size, steps: o.steps,
                      seconds: elapsed[0], samplesPerSec: samplesPerSec,
                      medianStepMs: stepTimes[stepTimes.count / 2] * 1000,
                      allReduceMsPerStep: comms[0] / Double(o.steps) * 1000,
                      rankSkewMsPerStep: o.separateSkew && comm.size > 1 ? comms[1] / Double(o.steps) * 1000 : nil,
                      rawAllReduceMs: raw,
                      gradientBytes: replica.arena.count * 4, peakRSSMiB: peakResidentMiB(),
                      bufferAllocationsTimed: allocations, blasThreads: BLAS.threads,
                      blasCore: BLASKernelSelection.coreName, convLayers: convLayers,
                      optimizer: optimizer, context: context, tokensPerSec: context.map { samplesPerSec * Double($0) },
                      overlapBuckets: o.overlap ? replica.buckets?.buckets.count ?? 0 : 0,
                      factoredLayers: replica.factoredWeights,
                      floatsSentPerStep: comm.size > 1 ? replica.floatsSentPerStep : nil)
    }

    /// Peak resident set size of this process (VmHWM from /proc/self/status), in MiB.
    public static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
