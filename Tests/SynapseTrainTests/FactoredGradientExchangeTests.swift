import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseNN
import SynapseTestSupport
@testable import SynapseTrain

/// Wide layers and few rows per rank, where factors pay off: 64 → 48 → 24 → 3, global batch 24.
private enum WideFixture {
    static let kind = SyntheticShards.Kind.features(64, classes: 3)

    static func config(_ exchange: TrainConfig.GradientExchange, overlap: Bool = true, accumulate: Int = 1) -> Config {
        var model = ModelConfig()
        model.hidden = [48, 24]
        var c = OverlapFixture.config(model, overlap: overlap, bucketMb: 0.002, accumulate: accumulate)
        c.train.gradientExchange = exchange
        return c
    }

    /// Every rank's gradient arena after one step's reduction (rank 0's initial weights everywhere).
    static func reducedGradients(_ config: Config, ranks: Int, batchRows: ((Int) -> Int)? = nil) throws -> [[Float]] {
        try InProcessRanks(count: ranks).run { comm in
            let replica = try Replica(config: config, inputShape: [64], classCount: 3, comm: comm)
            try replica.sync.broadcastParameters(replica.arena)
            var batch = try SyntheticShards(kind, globalBatch: config.train.batchSize, rank: comm.rank, worldSize: comm.size)
                .trainBatch(epoch: 0, index: 0)
            if let rows = batchRows?(comm.rank) {   // another number of rows than the rank's share
                batch = try SyntheticShards(kind, globalBatch: rows * comm.size, rank: comm.rank, worldSize: comm.size)
                    .trainBatch(epoch: 0, index: 0)
            }
            _ = try replica.reducedGradients(batch, step: 0) { _ in .init() }
            return Array(replica.arena.grads)
        }
    }

    /// max |a − b| / max |b| over the arena.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-30)
        return (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale
    }
}

/// `train.gradient_exchange`: the weight gradients of wide fully connected layers cross the
/// ranks as their factors (x, dy), all-gathered, instead of all-reduced as matrices.
@Suite struct FactoredGradientExchangeTests {
    /// The byte rule, worked out by hand: an all-gather brings (ranks − 1) blocks of
    /// 1 + R·(in + out) floats, a ring all-reduce 2·(ranks − 1)/ranks · in·out.
    @Test func factorsPayOffWhereTheyAreFewerFloats() {
        // The Fashion-MNIST MLP's first layer, 64 rows per rank on 2 ranks: 2·(1 + 64·1040) = 133,122 < 2·200,704.
        #expect(FactoredLinearGradient.paysOff(inFeatures: 784, outFeatures: 256, rows: 64, ranks: 2))
        // Its output layer: 2·(1 + 64·138) = 17,666 > 2·1,280.
        #expect(!FactoredLinearGradient.paysOff(inFeatures: 128, outFeatures: 10, rows: 64, ranks: 2))
        // On 8 ranks the first layer no longer pays: 8·(1 + 64·1040) = 532,488 > 401,408.
        #expect(!FactoredLinearGradient.paysOff(inFeatures: 784, outFeatures: 256, rows: 64, ranks: 8))
        // 10 × 10 weights, 4 rows, 2 ranks: 2·(1 + 80) = 162 < 200; 5 rows: 2·101 = 202 > 200.
        #expect(FactoredLinearGradient.paysOff(inFeatures: 10, outFeatures: 10, rows: 4, ranks: 2))
        #expect(!FactoredLinearGradient.paysOff(inFeatures: 10, outFeatures: 10, rows: 5, ranks: 2))
        #expect(!FactoredLinearGradient.paysOff(inFeatures: 784, outFeatures: 256, rows: 64, ranks: 1), "one rank exchanges nothing")
    }

    /// `auto` factors where they pay off and only across machines; `factors` every layer;
    /// `allreduce` none; a frozen layer never; text models never.
    @Test func whichLayersGoAsFactors() throws {
        func factored(_ config: Config, ranks: Int = 2, spansMachines: Bool) throws -> [String] {
            try InProcessRanks(count: ranks, spansMachines: spansMachines).run { comm in
                try Replica(config: config, inputShape: [64], classCount: 3, comm: comm).factoredWeights
            }[0]
        }
        // 12 rows per rank: fc1 2·(1 + 12·112) = 2,690 < 6,144; fc2 2·(1 + 12·72) = 1,730 < 2,304; fc3 650 > 144.
        #expect(try factored(WideFixture.config(.auto), spansMachines: true) == ["fc1.weight", "fc2.weight"])
        #expect(try factored(WideFixture.config(.auto), spansMachines: false) == [], "one machine: bytes are cheap")
        #expect(try factored(WideFixture.config(.factors), spansMachines: false) == ["fc1.weight", "fc2.weight", "fc3.weight"])
        #expect(try factored(WideFixture.config(.allreduce), spansMachines: true) == [])
        var frozen = WideFixture.config(.auto)
        frozen.train.freeze = ["fc1"]
        #expect(try factored(frozen, spansMachines: true) == ["fc2.weight"])
        // 8 rows per rank on 3 ranks: fc1 3·(1 + 8·112) = 2,691 < 6,144; fc2 3·(1 + 8·72) = 1,731 < 2,304.
        #expect(try factored(WideFixture.config(.auto), ranks: 3, spansMachines: true) == ["fc1.weight", "fc2.weight"])
        let alone = try Replica(config: WideFixture.config(.factors), inputShape: [64], classCount: 3, comm: LocalCommunicator())
        #expect(alone.factoredWeights.isEmpty && alone.buckets == nil, "one rank: no exchange at all")
        var gpt = OverlapFixture.config(OverlapFixture.gpt())
        gpt.train.gradientExchange = .auto
        let text = try InProcessRanks(count: 2, spansMachines: true).run { comm in
            try Replica(config: gpt, inputShape: [], classCount: 11, comm: comm).factoredWeights
        }
        #expect(text[0].isEmpty, "a language model's layers see a row per token: never factored")
    }

    /// One step's reduced gradient with factors equals the all-reduced one to float rounding
    /// (the sum of the same products in another order), and is the same bit for bit on every
    /// rank; with accumulation, and with the collectives after backward instead of overlapped.
    @Test(arguments: [(2, "overlap"), (3, "overlap"), (2, "after-backward"), (3, "k2"), (4, "overlap")])
    func factoredGradientEqualsAllReducedGradient(ranks: Int, variant: String) throws {
        let overlap = variant != "after-backward", k = variant == "k2" ? 2 : 1
        let factors = try WideFixture.reducedGradients(WideFixture.config(.factors, overlap: overlap, accumulate: k), ranks: ranks)
        let reduced = try WideFixture.reducedGradients(WideFixture.config(.allreduce, overlap: overlap, accumulate: k), ranks: ranks)
        for r in 0..<ranks { #expect(factors[r] == factors[0], "rank \(r)'s gradient differs from rank 0's") }
        let difference = WideFixture.relativeDifference(factors[0], reduced[0])
        #expect(difference <= 1e-6, "max |factors − all-reduce| / max |g| = \(difference)")
        #expect(factors[0].contains { $0 != 0 })
    }

    /// A rank with more rows than its share of the batch (a library caller's batch; training
    /// never does it) cannot send them as factors: every rank then all-reduces that layer's
    /// gradient, which still equals the all-reduced one.
    @Test func aRankWithMoreRowsThanPlannedFallsBackToTheAllReduce() throws {
        let rows: (Int) -> Int = { $0 == 1 ? 16 : 12 }   // rank 1: 16 rows, over its capacity of 12
        let factors = try WideFixture.reducedGradients(WideFixture.config(.factors), ranks: 2, batchRows: rows)
        let reduced = try WideFixture.reducedGradients(WideFixture.config(.allreduce), ranks: 2, batchRows: rows)
        #expect(factors[0] == factors[1])
        let difference = WideFixture.relativeDifference(factors[0], reduced[0])
        #expect(difference <= 1e-6, "max |fallback − all-reduce| / max |g| = \(difference)")
    }

    /// 30 steps of Adam: factors end within float rounding of the all-reduce; overlapped and
    /// after backward bit for bit; every rank identical; sharpness-aware minimization too.
    @Test(arguments: ["plain", "sam"])
    func trainingWithFactorsMatchesTrainingWithAllReduce(variant: String) throws {
        func config(_ exchange: TrainConfig.GradientExchange, overlap: Bool = true) -> Config {
            var c = WideFixture.config(exchange, overlap: overlap)
            if variant == "sam" { c.train.samRho = 0.05 }
            return c
        }
        let factors = try OverlapFixture.train(config(.factors), WideFixture.kind, ranks: 2, steps: 30)
        let afterBackward = try OverlapFixture.train(config(.factors, overlap: false), WideFixture.kind, ranks: 2, steps: 30)
        let reduced = try OverlapFixture.train(config(.allreduce), WideFixture.kind, ranks: 2, steps: 30)
        #expect(factors[1].values == factors[0].values, "ranks differ")
        #expect(afterBackward[0].values == factors[0].values, "overlapped and after-backward factors differ")
        let difference = zip(factors[0].values, reduced[0].values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= 1e-5, "max |factors − all-reduce| after 30 steps = \(difference)")
        #expect(factors[0].results.last!.loss < factors[0].results.first!.loss, "training went nowhere")
    }

    /// A resumed run keeps the layers its first part factored (`factorWeights(named:)`), and the
    /// buckets leave exactly those out.
    @Test func aResumedRunKeepsItsChoice() throws {
        let outcome = try InProcessRanks(count: 2, spansMachines: false).run { comm in
            let replica = try Replica(config: WideFixture.config(.auto), inputShape: [64], classCount: 3, comm: comm)
            let before = replica.factoredWeights
            replica.factorWeights(named: ["fc2.weight", "fc3.bias", "nonexistent"])
            let after = replica.factoredWeights
            let excluded = replica.buckets?.bucketOfEntry.indices.filter { replica.buckets!.bucketOfEntry[$0] < 0 }
                .map { replica.arena.entries[$0].name }
            replica.factorWeights(named: [])
            return (before, after, excluded ?? [], replica.factoredWeights, replica.buckets?.bucketOfEntry.contains(-1) != true)
        }
        #expect(outcome[0].0 == [])
        #expect(outcome[0].1 == ["fc2.weight"], "only a fully connected layer's weight can go as factors")
        #expect(outcome[0].2 == ["fc2.weight"])
        #expect(outcome[0].3 == [] && outcome[0].4, "back to the plain all-reduce: no entry left out of the buckets")
    }

    /// Buckets never span a left-out entry: 4 entries a (10), b (300), c (5), d (200), buckets
    /// of 250 floats, worked out by hand.
    @Test func bucketsLeaveOutTheFactoredEntries() {
        let arena = ParameterArena(parameters: [("a", Tensor(shape: [10], repeating: 0)), ("b", Tensor(shape: [300], repeating: 0)),
                                                ("c", Tensor(shape: [5], repeating: 0)), ("d", Tensor(shape: [200], repeating: 0))])
        // Leaving b out: d + c + the 4 flags (310..<519) are cut short at b; a alone.
        let withoutB = GradientBuckets(arena: arena, bytes: 1000, excluding: [1])
        #expect(withoutB.buckets == [.init(entries: 2..<4, elements: 310..<519), .init(entries: 0..<1, elements: 0..<10)])
        #expect(withoutB.bucketOfEntry == [1, -1, 0, 0])
        // Leaving d out: the flags alone are bucket 0; then c + b = 305 ≥ 250; then a.
        let withoutD = GradientBuckets(arena: arena, bytes: 1000, excluding: [3])
        #expect(withoutD.buckets == [.init(entries: 4..<4, elements: 515..<519), .init(entries: 1..<3, elements: 10..<315),
                                     .init(entries: 0..<1, elements: 0..<10)])
        #expect(withoutD.bucketOfEntry == [2, 1, 1, -1])
        // Leaving a and c out, one bucket per run of entries between them.
        let gaps = GradientBuckets(arena: arena, bytes: Int(Int32.max), excluding: [0, 2])
        #expect(gaps.buckets == [.init(entries: 3..<4, elements: 315..<519), .init(entries: 1..<2, elements: 10..<310)])
        // Every float except the left-out entries' in exactly one bucket.
        let covered = gaps.buckets.flatMap { Array($0.elements) }.sorted()
        #expect(covered == Array(10..<310) + Array(315..<519))
    }

    /// `factors` is refused for a model whose fully connected layers see a row per token.
    @Test func factorsAreRefusedForTextModels() throws {
        var config = Config()
        config.model = OverlapFixture.gpt()
        config.data.dataset = .text
        config.data.context = 8
        config.train.gradientExchange = .factors
        #expect(throws: ConfigError.self) { try config.validate() }
        do {
            try config.validate()
        } catch {
            #expect(error.description.contains("train.gradient_exchange") && error.description.contains("mlp and cnn"), "\(error)")
        }
        config.train.gradientExchange = .auto
        #expect(throws: Never.self) { try config.validate() }
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: "train:\n  gradient_exchange: sometimes\n") }
    }
}

/// The choice `auto` made travels in the checkpoint: a run resumed where its ranks share one
/// machine (where `auto` alone would all-reduce everything) keeps sending the layers its first
/// part factored across machines, so its numbers do not depend on where it resumes.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct FactoredExchangeResumeTests {
    @Test func theChoiceIsRecordedAndKeptOnResume() throws {
        let first = try ScratchDirectory("factors-first"), second = try ScratchDirectory("factors-resumed")
        let third = try ScratchDirectory("factors-fresh")
        defer { first.remove(); second.remove(); third.remove() }
        // 784-32-10 on 2 ranks × 25 rows: fc1 2·(1 + 25·816) = 40,802 < 2·25,088; fc2 2·(1 + 25·42) = 2,102 > 640.
        let config = try TrainerFixture.config(epochs: 1)
        func train(_ config: Config, in run: ScratchDirectory, spansMachines: Bool, resume: URL?) throws -> [[String]] {
            try InProcessRanks(count: 2, spansMachines: spansMachines).run { comm in
                let trainer = try Trainer(config: config, comm: comm, runDirectory: URL(fileURLWithPath: run.path),
                                          stopSignal: StopSignal(signals: []))
                _ = try trainer.run(resumeFrom: resume)
                return trainer.replica.factoredWeights
            }
        }
        #expect(try train(config, in: first, spansMachines: true, resume: nil) == [["fc1.weight"], ["fc1.weight"]])
        let checkpoint = URL(fileURLWithPath: first.path + "/checkpoints/step-00000030")
        let progress = try TrainingProgress.decode(json: Data(contentsOf: checkpoint.appendingPathComponent("progress.json")),
                                                   source: checkpoint.path)
        #expect(progress.gradientExchange == .init(ranks: 2, factoredWeights: ["fc1.weight"]))
        let report = try CheckpointReport.text(for: CheckpointStore.load(path: checkpoint.path))
        #expect(report.contains("exchange    fc1.weight sent as factors on 2 ranks"), "\(report)")

        try FileManager.default.removeItem(atPath: second.path)
        try FileManager.default.copyItem(atPath: first.path, toPath: second.path)
        var longer = config
        longer.train.epochs = 2
        #expect(try train(longer, in: second, spansMachines: false, resume: checkpoint) == [["fc1.weight"], ["fc1.weight"]],
                "resumed on one machine: the first part's choice stays")
        #expect(try train(longer, in: third, spansMachines: false, resume: nil) == [[], []],
                "a fresh run on one machine all-reduces")
    }
}
