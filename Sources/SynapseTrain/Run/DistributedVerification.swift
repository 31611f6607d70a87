import Foundation
import SynapseComm
import SynapseCore

/// `synapse verify`: checks, on the user's own config, that N ranks train the same model as
/// one rank does — the promise of data parallelism (DESIGN.md, rules 1–5).
///
/// Under `mpirun -np N` every rank trains the config's first `steps` steps together (sharded
/// global batches, gradient all-reduce, the learning rate schedule of the real run), and
/// after each step rank 0 takes the same step alone, as a single rank on the whole global
/// batch, from the same initial weights, and compares every parameter and buffer. They agree
/// up to float summation order (the all-reduce adds the ranks' partial gradients in another
/// order than one rank's batch sum), so the check passes when, after the last step, every
/// tensor has max |N ranks − 1 rank| ≤ tolerance × max |1 rank|.
///
/// Keep `steps` small. Rounding-level differences stay at ~1e-7 for a while, but sooner or
/// later one flips a discrete choice (a ReLU at zero, a max-pool winner), and training then
/// amplifies it: measured on the batch norm CNNs of configs/ (2 ranks), 3e-7 after 5 steps,
/// 1e-5 after 8 and 1e-3 to 3e-2 after 11–20, while the MLPs stay at 3e-7 through 20. The
/// per-step figures of the report show where that happens.
///
/// Two parts of a recipe differ across rank counts BY DESIGN, and are switched off for the
/// check (and listed in the report): dropout masks are drawn per rank (each rank has different
/// samples), and batch norm without `sync_batchnorm` normalizes each rank's shard with its own
/// statistics (as PyTorch DDP does), so it is checked with synchronized statistics.
/// Distillation teachers are not loaded (the check is about the student's arithmetic).
/// Nothing is written to disk.
public enum DistributedVerification {
    /// One tensor's comparison.
    public struct TensorDifference: Sendable, Equatable {
        /// The tensor's name in the checkpoint.
        public var name: String
        /// max |N ranks − 1 rank| over the tensor's elements.
        public var maxDifference: Float
        /// max |1 rank|, the scale the difference is measured against.
        public var scale: Float
        /// maxDifference / scale (0 for an all-zero tensor that stayed zero).
        public var relative: Float {
            scale > 0 ? maxDifference / scale : (maxDifference == 0 ? 0 : .infinity)
        }
    }

    /// What the check found (complete on rank 0; other ranks get `passed` only).
    public struct Report: Sendable {
        /// Ranks of the distributed run.
        public var ranks: Int
        /// Steps both runs took.
        public var steps: Int
        /// The largest relative difference that passes.
        public var tolerance: Float
        /// Recipe settings changed for the check, in words.
        public var adjustments: [String]
        /// Every parameter and buffer, in model order (rank 0 only).
        public var tensors: [TensorDifference]
        /// After each step, the largest relative difference over all tensors (rank 0 only).
        public var worstPerStep: [Float]
        /// The last step's mean loss over the global batch, N ranks and 1 rank (rank 0 only).
        public var finalLoss: (distributed: Float, single: Float)
        /// Whether every tensor is within the tolerance (agreed by all ranks).
        public var passed: Bool

        /// The tensor farthest from agreement.
        public var worst: TensorDifference? { tensors.max { $0.relative < $1.relative } }
    }

    /// The config as checked: dropout off, batch norm synchronized, no distillation.
    static func adjusted(_ config: Config) -> (Config, [String]) {
        var c = config, notes: [String] = []
        if c.model.dropout > 0 || c.model.convDropout > 0 {
            notes.append("dropout off (model.dropout \(c.model.dropout), conv_dropout \(c.model.convDropout)): "
                         + "each rank draws its own masks")
            c.model.dropout = 0
            c.model.convDropout = 0
        }
        if c.model.kind == .cnn && c.model.batchNorm && !c.model.syncBatchNorm {
            notes.append("model.sync_batchnorm on: without it each rank normalizes its shard with its own statistics")
            c.model.syncBatchNorm = true
        }
        if c.train.distillation.isEnabled {
            notes.append("train.distillation off: the teachers are not loaded")
            c.train.distillation = DistillationConfig()
        }
        return (c, notes)
    }

    /// Runs the check (collective: every rank calls it).
    /// - Throws: `UserError` for a bad config or `steps`; data errors as `synapse train` does.
    public static func run(config original: Config, steps: Int, tolerance: Float, comm: any Communicator) throws -> Report {
        guard steps >= 1 else { throw UserError("verify: --steps must be at least 1, got \(steps)") }
        guard tolerance >= 0, tolerance.isFinite else { throw UserError("verify: --tolerance must be ≥ 0, got \(tolerance)") }
        let (config, adjustments) = adjusted(original)
        let sync = DistributedSync(comm: comm)
        let distributed = try sync.agreeOnSuccess("loading the data and building the model") {
            try Side(config: config, comm: comm)
        }
        // Rank 0's single-rank twin (its own data and model, built from the same seed).
        let single = try sync.agreeOnSuccess("building the single-rank replay") { () throws -> Side? in
            guard comm.isRoot else { return nil }
            let twin = try Side(config: config, comm: LocalCommunicator())
            try twin.replica.loadPretrainedWeights()
            return twin
        }
        try distributed.replica.loadPretrainedWeights()
        try sync.broadcastParameters(distributed.replica.arena)

        // In lockstep: every rank takes step k together, then rank 0 takes it alone (the
        // others wait in step k + 1's all-reduce) and measures how far apart they are.
        var report = Report(ranks: comm.size, steps: steps, tolerance: tolerance, adjustments: adjustments,
                            tensors: [], worstPerStep: [], finalLoss: (.nan, .nan), passed: true)
        var replayError: Error? = nil
        for step in 0..<steps {
            report.finalLoss.distributed = try train(distributed, step: step)
            guard let single, replayError == nil else { continue }
            do {
                report.finalLoss.single = try train(single, step: step)
                report.tensors = compare(distributed.replica, single.replica)
                report.worstPerStep.append(report.worst?.relative ?? 0)
            } catch {
                replayError = error
            }
        }
        // [tensors out of tolerance, exit status of a replay that failed]: rank 0 → everyone.
        var outcome: [Double] = [0, 0]
        if let replayError { outcome[1] = Double(ExitStatus.of(replayError).rawValue) }
        outcome[0] = Double(report.tensors.filter { $0.relative > tolerance }.count)
        outcome = try sync.sum(outcome)
        if let replayError { throw replayError }
        if outcome[1] > 0 { throw SilentStop(underlying: nil, status: Int32(outcome[1])) }
        report.passed = outcome[0] == 0
        return report
    }

    /// One side of the comparison: a replica and its batches, on the ranks of its communicator.
    final class Side {
        let replica: Replica
        let source: any DataSource
        init(config: Config, comm: any Communicator) throws {
            let data = try RunData(config: config, comm: comm)
            source = data.source
            replica = try data.replica(config, comm: comm)
        }
    }

    /// Takes training step `step` as `synapse train` would (same batch, same learning rate)
    /// and returns its mean loss over the global batch.
    static func train(_ side: Side, step: Int) throws -> Float {
        let replica = side.replica, spe = side.source.stepsPerEpoch
        let batch = try side.source.trainBatch(epoch: step / spe, index: step % spe)
        let result = try replica.step(batch, at: StepPosition(step: step, epoch: step / spe))
        if result.flags.nonFiniteLoss {
            throw replica.sync.agreed(TrainingFailure("verify: the loss became non-finite at step \(step + 1); "
                                                      + "lower optimizer.lr and check the config with synapse train first"))
        }
        return try replica.sync.sum([Double(result.loss)]).map { Float($0 / Double(replica.comm.size)) }[0]
    }

    /// Every parameter (arena order) and buffer (model order) of `a` against `b`.
    static func compare(_ a: Replica, _ b: Replica) -> [TensorDifference] {
        func difference(_ name: String, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> TensorDifference {
            var d: Float = 0, s: Float = 0
            for i in 0..<y.count {
                d = max(d, abs(x[i] - y[i]))
                s = max(s, abs(y[i]))
            }
            return TensorDifference(name: name, maxDifference: d, scale: s)
        }
        var out: [TensorDifference] = []
        for (ea, eb) in zip(a.arena.entries, b.arena.entries) {
            out.append(difference(ea.name, UnsafeBufferPointer(rebasing: a.arena.values[ea.offset..<(ea.offset + ea.count)]),
                                  UnsafeBufferPointer(rebasing: b.arena.values[eb.offset..<(eb.offset + eb.count)])))
        }
        for (ba, bb) in zip(a.model.namedBuffers(), b.model.namedBuffers()) {
            out.append(difference(ba.name, UnsafeBufferPointer(ba.tensor.data), UnsafeBufferPointer(bb.tensor.data)))
        }
        return out
    }
}
