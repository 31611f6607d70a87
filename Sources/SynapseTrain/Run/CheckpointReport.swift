import Foundation

/// What `synapse inspect` prints about a checkpoint: that it verified, where training stood,
/// which model it holds, every tensor with its shape and value statistics, and the other
/// checkpoints of the same run — what a user needs before resuming, evaluating or
/// fine-tuning from it.
public enum CheckpointReport {
    /// Value statistics of one tensor (over all its elements).
    public struct Statistics: Equatable, Sendable {
        /// Number of elements.
        public var count: Int
        /// Smallest and largest finite value (0 when there is none).
        public var min: Float, max: Float
        /// Mean and standard deviation (population) of the finite values, in Double.
        public var mean: Double, std: Double
        /// Elements that are NaN or ±∞: a diverged run shows up here.
        public var nonFinite: Int

        /// The statistics of `values`.
        public init(_ values: [Float]) {
            count = values.count
            var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, squares = 0.0
            let bad = SafeTensorsFile.nonFiniteCount(in: values)
            for v in values where v.isFinite {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
                sum += Double(v)
            }
            let finite = count - bad
            mean = finite > 0 ? sum / Double(finite) : 0
            for v in values where v.isFinite { squares += (Double(v) - mean) * (Double(v) - mean) }
            std = finite > 0 ? (squares / Double(finite)).squareRoot() : 0
            min = finite > 0 ? lo : 0
            max = finite > 0 ? hi : 0
            nonFinite = bad
        }
    }

    /// The report for `checkpoint` (already verified by `CheckpointStore.load`), ending with
    /// every other checkpoint of the same `checkpoints/` directory and whether it verifies.
    public static func text(for checkpoint: LoadedCheckpoint) throws -> String {
        let siblings = CheckpointStore.checkpoints(in: DurableFileSystem.parentDirectory(of: checkpoint.path))
        let state = checkpoint.state
        var lines: [String] = []
        func field(_ name: String, _ value: String) {
            lines.append(name.padding(toLength: 12, withPad: " ", startingAt: 0) + value)
        }
        field("checkpoint", checkpoint.path)
        let names = state.files.keys.sorted()
        field("verified", "\(names.count) files match the sizes and CRC-32s in state.json: \(names.joined(separator: ", "))")
        field("saved", "\(ISO8601DateFormatter().string(from: state.createdAt)) by synapse \(state.synapseVersion) "
                       + "(checkpoint format \(state.formatVersion))")
        let position = state.batchInEpoch == 0 ? "epoch \(state.epoch) complete"
                                               : "epoch \(state.epoch), \(state.batchInEpoch) batches into it"
        field("position", "step \(state.step), \(position); \(state.worldSize) rank\(state.worldSize == 1 ? "" : "s"), "
                          + "seed \(state.seed), config hash \(String(state.configHash, radix: 16))")
        if let json = checkpoint.files["progress.json"],
           let choice = (try? TrainingProgress.decode(json: json, source: checkpoint.path))?.gradientExchange,
           !choice.factoredWeights.isEmpty {
            field("exchange", "\(choice.factoredWeights.joined(separator: ", ")) sent as factors on \(choice.ranks) ranks "
                              + "(train.gradient_exchange; a resume on \(choice.ranks) ranks keeps it)")
        }
        if !state.metrics.isEmpty {
            field("metrics", state.metrics.keys.sorted().map { "\($0) \(String(format: "%.4f", state.metrics[$0]!))" }
                                 .joined(separator: ", "))
        }
        if let yaml = checkpoint.files["config.yaml"] {
            let config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self),
                                                source: checkpoint.path + "/config.yaml")
            let features = config.data.dataset == .cifar10 ? 3 * 32 * 32 : 28 * 28
            field("run", "\(config.name): \(config.model.summary(inputFeatures: features)) on \(config.data.dataset.rawValue), "
                         + "\(config.train.epochs) epochs of global batch \(config.train.batchSize), "
                         + "optimizer \(config.optimizer.name.rawValue) lr \(config.optimizer.lr)")
        }

        for file in names where file.hasSuffix(".safetensors") {
            let tensors = try checkpoint.safeTensors(file, allowNonFinite: true)   // shown in the table
            let total = tensors.tensors.reduce(0) { $0 + $1.count }
            lines.append("")
            lines.append("\(file): \(tensors.tensors.count) tensors, \(total) values")
            lines.append(try table(tensors))
        }

        let others = siblings.filter { $0.path != checkpoint.path }
        if !others.isEmpty {
            lines.append("")
            lines.append("other checkpoints in \(DurableFileSystem.parentDirectory(of: checkpoint.path)):")
            for other in others {
                let status = other.problem.map { "NOT loadable: " + $0 } ?? "verified"
                lines.append("  \(DurableFileSystem.lastComponent(of: other.path))  \(status)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One row per tensor: name, shape, element count, min, max, mean, std, non-finite count.
    static func table(_ file: SafeTensorsFile) throws -> String {
        var rows = [["  name", "shape", "count", "min", "max", "mean", "std", "non-finite"]]
        for info in file.tensors {
            let s = Statistics(try file.floats(named: info.name))
            rows.append(["  " + info.name, "\(info.shape)", "\(s.count)", number(Double(s.min)), number(Double(s.max)),
                         number(s.mean), number(s.std), "\(s.nonFinite)"])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Four significant digits ("0.1234", "-12.35", "1.235e-05"); whole numbers below a
    /// million in full ("34360": a step counter).
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e6 ? String(format: "%.0f", x) : String(format: "%.4g", x)
    }
}
