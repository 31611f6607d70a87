import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse bench`: measures training speed and memory of the fashion-mlp model, the LeNet-like
/// CNN, or a config's model (a text config runs whole: its data, optimizer and clipping).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training samples/s, peak memory and all-reduce cost (fashion-mlp MLP, the LeNet-like CNN, or a config's model).",
        discussion: """
        Uses real Fashion-MNIST batches and the same training step as `synapse train`; a text config
        (data.dataset: text) runs on its own text with its own optimizer and reports tokens/s. Run it alone
        for one rank, or under mpirun (launch/synapse-mpirun -n 2 ... bench) for the scaling figures.
        Compare with the PyTorch peer benchmark run in the same session (docs/performance.md).
        """)

    @Option(help: "Samples per rank per step (see --global). Default 64, or a text config's train.batch_size.")
    var batch: Int?

    @Flag(help: "Treat --batch as the global batch, split over the ranks.")
    var global = false

    @Option(help: "Timed steps.")
    var steps: Int = 500

    @Option(help: "Untimed warm-up steps.")
    var warmup: Int = 50

    @Option(help: "OpenBLAS threads per rank.")
    var threads: Int = 1

    @Option(help: "Model: mlp (784-HIDDEN-10) or lenet (the CNN of the PyTorch peer benchmark).")
    var model: String = "mlp"

    @Option(help: ArgumentHelp("Benchmark the model of this training config instead (its model: section; batch, steps and threads still come from these options). A text config runs whole: its model, text, optimizer, schedule and clipping, and its batch unless --batch is given.",
                               valueName: "config.yaml"))
    var config: String?

    @Option(help: "Hidden layer widths of the mlp, comma-separated.")
    var hidden: String = "256,128"

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var dataPath: String = "/usr/share/datasets/fashion-mnist"

    @Flag(help: "Time the wait for the slowest rank (a barrier before each all-reduce) apart from the all-reduce itself.")
    var separateSkew = false

    @Option(help: ArgumentHelp("All-reduce the gradient in buckets while backward runs (on, train.overlap's default) or in one call after it (off).", valueName: "on|off"))
    var overlap: String = "on"

    @Option(help: ArgumentHelp("Bucket size for --overlap on, in MiB (train.bucket_mb).", valueName: "MiB"))
    var bucketMb: Double = 1

    @Option(help: ArgumentHelp("How fully connected layers' weight gradients cross the ranks (train.gradient_exchange): as factors where fewer bytes (auto), always all-reduced (allreduce), or as factors (factors).", valueName: "auto|allreduce|factors"))
    var exchange: String = "auto"

    @Flag(help: "Print the report as one JSON line.")
    var json = false

    func validate() throws {
        guard (batch ?? 1) >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1, warmup >= 0 else { throw ValidationError("--steps must be ≥ 1 and --warmup ≥ 0") }
        guard ["on", "off"].contains(overlap) else { throw ValidationError("--overlap must be on or off, got '\(overlap)'") }
        guard bucketMb > 0, bucketMb.isFinite else { throw ValidationError("--bucket-mb must be a positive size in MiB, e.g. 0.25") }
        guard TrainConfig.GradientExchange(rawValue: exchange) != nil else {
            throw ValidationError("--exchange must be auto, allreduce or factors, got '\(exchange)'")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard ["mlp", "lenet"].contains(model) else { throw ValidationError("--model must be mlp or lenet, got '\(model)'") }
        guard parsedHidden != nil else { throw ValidationError("--hidden: expected positive integers separated by commas, e.g. 256,128") }
    }

    var parsedHidden: [Int]? {
        let parts = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let comm = try Runtime.communicator()
        Runtime.configureThreads(threads, ranks: comm.size, rank: comm.rank)
        var o = Benchmark.Options()
        o.batch = batch ?? 64; o.globalBatch = global; o.steps = steps; o.warmupSteps = warmup
        if let config {
            let loaded = try ConfigLoader.load(path: config)
            o.model = loaded.model
            if loaded.data.dataset == .text {
                o.textConfig = loaded
                o.batch = batch ?? loaded.train.batchSize
            }
        } else {
            o.model = model == "lenet" ? Benchmark.lenet : Benchmark.mlp(hidden: parsedHidden!)
        }
        o.dataPath = dataPath
        o.separateSkew = separateSkew
        o.overlap = overlap == "on"
        o.bucketMb = bucketMb
        o.gradientExchange = TrainConfig.GradientExchange(rawValue: exchange)!
        let r = try Benchmark.run(o, comm: comm)
        guard comm.rank == 0 else { return }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print("RESULT " + String(decoding: try enc.encode(r), as: UTF8.self))
            return
        }
        print("model        \(r.model), \(r.parameters) parameters, \(r.optimizer ?? "SGD momentum 0.9")")
        print("ranks        \(r.ranks) × \(r.blasThreads) BLAS thread(s) (OpenBLAS \(r.blasCore) kernels), batch \(r.perRankBatch) per rank (global \(r.globalBatch))")
        if let tokens = r.tokensPerSec, let context = r.context {
            print(String(format: "throughput   %.0f tokens/s (%.1f windows/s of %d) over %d steps (%.2f s); median step %.3f ms",
                         tokens, r.samplesPerSec, context, r.steps, r.seconds, r.medianStepMs))
        } else {
            print(String(format: "throughput   %.0f samples/s over %d steps (%.2f s); median step %.3f ms", r.samplesPerSec, r.steps, r.seconds, r.medianStepMs))
        }
        if let skew = r.rankSkewMsPerStep {
            print(String(format: "rank skew    %.3f ms per step waiting for the slowest rank (barrier, timed apart)", skew))
        }
        if let raw = r.rawAllReduceMs {
            print(String(format: "all-reduce   %.3f ms per step waited on (flags + %d-byte gradient; the part backward did not hide) vs raw MPI_Allreduce %.3f ms (×%.2f)",
                         r.allReduceMsPerStep, r.gradientBytes, raw, r.allReduceMsPerStep / max(raw, 1e-9)))
            print(r.overlapBuckets > 0
                  ? "overlap      on: \(r.overlapBuckets) bucket\(r.overlapBuckets == 1 ? "" : "s") of at most \(bucketMb) MiB, started during backward"
                  : "overlap      off: the collectives start after backward")
            if let floats = r.floatsSentPerStep {
                print(r.factoredLayers.isEmpty
                      ? "exchange     all-reduce: \(floats) floats per rank per step"
                      : "exchange     factors of \(r.factoredLayers.joined(separator: ", ")) all-gathered, the rest all-reduced: \(floats) floats per rank per step")
            }
        }
        if let conv = r.convLayers {
            for layer in conv.layers {
                print(String(format: "conv layer   %@: %.2f ms per step (forward + backward), %.0f GFLOP/s",
                             layer.layer, layer.msPerStep, layer.gflops))
            }
            print(String(format: "conv layers  %.0f GFLOP/s together = %.0f %% of this core's sgemm rate (%.0f GFLOP/s at 1024³)",
                         conv.convGflops, 100 * conv.convGflops / conv.sgemmGflops, conv.sgemmGflops))
        }
        print(String(format: "memory       peak RSS %.1f MiB (rank 0); %d buffer allocations during the timed steps", r.peakRSSMiB, r.bufferAllocationsTimed))
    }
}
