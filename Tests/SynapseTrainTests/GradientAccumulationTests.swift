import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseTestSupport
@testable import SynapseTrain

/// `train.accumulate_steps`: K micro-batches per optimizer step give the update of the same
/// global batch without accumulation, to float rounding, on 1 rank and on 2.
@Suite struct GradientAccumulationTests {
    /// The MLP without dropout (masks differ per micro-batch by design) and plain SGD.
    private func config(_ model: ModelConfig, accumulate: Int) -> Config {
        var c = OverlapFixture.config(model, accumulate: accumulate)
        c.model.dropout = 0
        c.optimizer = OptimizerConfig(name: .sgd)
        c.optimizer.lr = 0.1
        return c
    }

    /// Largest |a − b| over the largest |b| (at least 0.05: parameters near 0 carry rounding).
    private func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 0.05)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [(1, 3, "mlp"), (2, 2, "mlp"), (2, 3, "gpt")])
    func accumulationEqualsTheSameGlobalBatchAtOnce(ranks: Int, accumulate: Int, model name: String) throws {
        let (model, kind) = name == "gpt" ? (OverlapFixture.gpt(), OverlapFixture.tokens) : (OverlapFixture.mlp(), OverlapFixture.features)
        let reference = try OverlapFixture.train(config(model, accumulate: 1), kind, ranks: 1, steps: 5)[0]
        let accumulated = try OverlapFixture.train(config(model, accumulate: accumulate), kind, ranks: ranks, steps: 5)
        for r in 0..<ranks {
            let difference = relativeDifference(accumulated[r].values, reference.values)
            #expect(difference <= 1e-5, "rank \(r) of \(ranks), K = \(accumulate): relative difference \(difference)")
        }
        // Metrics count every micro-batch: the predictions of the rank's whole share, and at the
        // first step (same weights) the same loss and correct count as the batch at once.
        let first = accumulated.map { $0.results[0] }
        let predictions = name == "gpt" ? 24 * 8 : 24
        #expect(first.reduce(0) { $0 + $1.predictions } == predictions)
        #expect(first.reduce(0) { $0 + $1.correct } == reference.results[0].correct)
        let meanLoss = first.reduce(Float(0)) { $0 + $1.loss } / Float(ranks)
        #expect(abs(meanLoss - reference.results[0].loss) <= 1e-6 * reference.results[0].loss, "\(meanLoss) vs \(reference.results[0].loss)")
    }

    @Test func aBatchIsCutIntoContiguousMicroBatches() {
        let batch = TrainingBatch(inputs: Tensor(shape: [6, 2], values: (0..<12).map(Float.init)), targets: [0, 1, 2, 3, 4, 5],
                                  samples: [10, 11, 12, 13, 14, 15][...])
        let parts = batch.microBatches(3)
        #expect(parts.map(\.inputs.shape) == [[2, 2], [2, 2], [2, 2]])
        #expect(parts.map { Array($0.inputs.data) } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
        #expect(parts.map(\.targets) == [[0, 1], [2, 3], [4, 5]])
        #expect(parts.map { Array($0.samples) } == [[10, 11], [12, 13], [14, 15]])
        // Text: 2 windows of T = 3, targets row-major.
        let text = TrainingBatch(inputs: Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), targets: [2, 3, 4, 5, 6, 7])
        #expect(text.microBatches(2).map(\.targets) == [[2, 3, 4], [5, 6, 7]])
        #expect(batch.microBatches(1)[0].inputs === batch.inputs, "K = 1 is the batch itself, no copy")
    }

    @Test func ranksTimesMicroBatchesMustDivideTheGlobalBatch() throws {
        var c = Config()
        c.train.batchSize = 24
        c.train.accumulateSteps = 3
        let errors = try InProcessRanks(count: 3).run { comm in
            Result { try ImageDataSource.requireDivisibleBatch(config: c, comm: comm) }
        }
        for case .failure(let error) in errors {
            #expect("\(error)".contains("train.batch_size = 24 must divide into 3 ranks × 3 micro-batches"), "\(error)")
        }
        #expect(errors.allSatisfy { if case .failure = $0 { true } else { false } })
        c.train.accumulateSteps = 4   // 24 / (2 × 4) = 3 rows each
        let fine = try InProcessRanks(count: 2).run { comm in Result { try ImageDataSource.requireDivisibleBatch(config: c, comm: comm) } }
        #expect(fine.allSatisfy { if case .success = $0 { true } else { false } })
    }

    @Test func dropoutMasksDifferPerMicroBatchAndKeepOneRankUnchanged() throws {
        var c = OverlapFixture.config(OverlapFixture.mlp(), accumulate: 1)
        c.model.dropout = 0.5
        let plain = try OverlapFixture.train(c, OverlapFixture.features, ranks: 1, steps: 3)[0]
        let again = try OverlapFixture.train(c, OverlapFixture.features, ranks: 1, steps: 3)[0]
        #expect(plain.values == again.values, "bit-reproducible run to run")
        c.train.accumulateSteps = 2
        let accumulated = try OverlapFixture.train(c, OverlapFixture.features, ranks: 1, steps: 3)[0]
        #expect(accumulated.values != plain.values, "micro-batches draw their own masks")
    }
}

/// The new `train` keys and `Config.hash`: the communication knobs never change a hash;
/// `accumulate_steps` does, but only away from its default 1.
@Suite struct CommunicationConfigTests {
    @Test func onlyAccumulationAwayFromOneChangesTheHash() throws {
        let base = Config()
        var knobs = base
        knobs.train.overlap = false
        knobs.train.bucketMb = 25
        knobs.train.collectiveTimeout = 0
        #expect(knobs.hash == base.hash)
        var one = base
        one.train.accumulateSteps = 1
        #expect(one.hash == base.hash)
        var two = base
        two.train.accumulateSteps = 2
        #expect(two.hash != base.hash)
        let written = try ConfigLoader.parse(yaml: "train: { accumulate_steps: 1, overlap: false, collective_timeout: 5 }")
        #expect(written.hash == base.hash)
        #expect(try ConfigLoader.parse(yaml: "train: { accumulate_steps: 2 }").hash == two.hash)
    }

    @Test func badValuesAreConfigErrorsNamingTheKey() {
        let cases = [
            ("train: { accumulate_steps: 0 }", "train.accumulate_steps: must be at least 1"),
            ("train: { batch_size: 64, accumulate_steps: 5 }", "must divide train.batch_size (64) into equal micro-batches, got 5; e.g. accumulate_steps: 4"),
            ("train: { bucket_mb: 0 }", "train.bucket_mb: must be a positive size in MiB"),
            ("train: { bucket_mb: .nan }", "train.bucket_mb"),
            ("train: { collective_timeout: -1 }", "train.collective_timeout: must be 0 (no watchdog) or a number of seconds"),
        ]
        for (yaml, fragment) in cases {
            let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, source: "x.yaml") }
            #expect(error?.description.contains(fragment) == true, "\(yaml): \(error?.description ?? "no error")")
        }
    }
}
