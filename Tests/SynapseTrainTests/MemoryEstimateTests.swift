import Foundation
import Testing
import SynapseCore
import SynapseNN
@testable import SynapseTrain
import SynapseTestSupport

/// The memory estimate printed with the plan line and checked before a model is built: its
/// figures for a small MLP worked out by hand, its parameter counts against the models the
/// factory really builds, and its verdict on the shipped configs and on a huge model.
@Suite struct MemoryEstimateTests {
    /// An MLP 4 → 4 → 3 (input [1, 2, 2]), SGD with momentum, global batch 8 on one rank,
    /// evaluation batches of 20.
    static let smallMLP = """
        model: { kind: mlp, hidden: [4], dropout: 0 }
        train: { batch_size: 8, eval_batch_size: 20 }
        optimizer: { name: sgd, lr: 0.1, momentum: 0.9 }
        """

    @Test func smallMLPMatchesTheFiguresWorkedOutByHand() throws {
        let config = try ConfigLoader.parse(yaml: Self.smallMLP)
        let e = try MemoryEstimate(config: config, inputShape: [1, 2, 2], classCount: 3, ranks: 1, dataBytes: 1000)
        // Parameters: fc1 4·4 + 4 = 20, fc2 4·3 + 3 = 15.
        #expect(e.parameters == 35)
        #expect(e.parameterBytes == 140 && e.gradientBytes == 140)
        // SGD with momentum keeps one buffer the size of the parameters.
        #expect(e.optimizerBytes == 140)
        // Per sample: the input 4, fc1's output and its ReLU 2·4, the logits, probabilities
        // and their gradient 3·3: 21 values. Training: 8 samples × 21 × 2 (values and
        // gradients) = 336; evaluation: 20 × 21 = 420, the larger: 420 × 4 bytes.
        #expect(e.activationBytes == 1680)
        #expect(e.dataBytes == 1000)
        #expect(e.totalBytes == 140 + 140 + 140 + 1680 + 1000)
        #expect(e.summary.hasPrefix("memory ~3.0 KiB per rank (parameters 140 bytes"), "\(e.summary)")
    }

    /// With `train.accumulate_steps: K` one micro-batch of batch / (ranks · K) samples is in
    /// memory at a time: the small MLP's 21 values per sample, 8 / (1 · 4) = 2 samples,
    /// values and gradients: 84 values, against evaluation's 20 × 21 = 420 (eval batch 20).
    @Test func accumulationKeepsOneMicroBatchOfActivations() throws {
        let config = try ConfigLoader.parse(yaml: Self.smallMLP, overrides: ["train.accumulate_steps=4", "train.eval_batch_size=1"])
        let e = try MemoryEstimate(config: config, inputShape: [1, 2, 2], classCount: 3, ranks: 1, dataBytes: 0)
        #expect(e.activationBytes == 2 * 21 * 2 * 4, "\(e.activationBytes)")
        let whole = try MemoryEstimate(config: try ConfigLoader.parse(yaml: Self.smallMLP, overrides: ["train.eval_batch_size=1"]),
                                       inputShape: [1, 2, 2], classCount: 3, ranks: 1, dataBytes: 0)
        #expect(whole.activationBytes == 8 * 21 * 2 * 4, "\(whole.activationBytes)")
    }

    @Test func ranksShareTheBatchAndAdamKeepsTwoMoments() throws {
        let config = try ConfigLoader.parse(yaml: Self.smallMLP, overrides: ["optimizer={name: adam, lr: 0.001}", "train.eval_batch_size=8"])
        let e = try MemoryEstimate(config: config, inputShape: [1, 2, 2], classCount: 3, ranks: 2, dataBytes: 0)
        #expect(e.optimizerBytes == 2 * 140)
        // 4 samples per rank × 21 × 2 = 168 (training) vs ⌈8 / 2⌉ × 21 = 84 (evaluation).
        #expect(e.activationBytes == 168 * 4)
    }

    /// The estimate counts exactly the parameters of the model the factory builds, for every
    /// shipped config (on Fashion-MNIST's shape, or a 96-token vocabulary for the text ones).
    @Test(arguments: shippedConfigs)
    func parameterCountIsTheBuiltModels(_ name: String) throws {
        let config = try ConfigLoader.load(path: Self.configsDirectory + "/" + name)
        let text = config.data.dataset == .text
        let (shape, classes) = text ? ([Int](), 96) : ([1, 28, 28], 10)
        var rng = RandomGenerator(seed: 1)
        let model = try ModelFactory.build(config: config.model, inputShape: shape, outputSize: classes, rng: &rng)
        let e = try MemoryEstimate(config: config, inputShape: shape, classCount: classes, ranks: 1, dataBytes: 0)
        #expect(e.parameters == model.parameterCount, "\(name)")
    }

    /// Every shipped config fits this machine (24 GiB), data included, with two ranks on it.
    @Test(arguments: shippedConfigs)
    func shippedConfigFitsThisMachine(_ name: String) throws {
        let config = try ConfigLoader.load(path: Self.configsDirectory + "/" + name)
        let text = config.data.dataset == .text
        let (shape, classes) = text ? ([Int](), 200) : ([1, 28, 28], 10)
        let data = text ? 12 * 4_000_000 : 70_000 * (784 + 4)
        let e = try MemoryEstimate(config: config, inputShape: shape, classCount: classes, ranks: 2, dataBytes: data)
        let available = try #require(MachineMemory.available())
        try e.requireFits(available: available, ranksHere: 2, config: config)
        #expect(e.totalBytes < 4 << 30, "\(name): \(e.summary)")   // far below: the estimate is not absurd
    }

    @Test func aHugeModelIsRefusedWithWhatItNeedsAndWhatThereIs() throws {
        let config = try ConfigLoader.parse(yaml: Self.smallMLP, overrides: ["model.hidden=[100000000]"])
        let e = try MemoryEstimate(config: config, inputShape: [1, 28, 28], classCount: 10, ranks: 1, dataBytes: 0)
        #expect(e.parameters == 784 * 100_000_000 + 100_000_000 + 100_000_000 * 10 + 10)
        let machine = MachineMemory.Available(bytes: 24 << 30, source: "test")
        let error = try #require(throws: UserError.self) {
            try e.requireFits(available: machine, ranksHere: 1, config: config)
        }
        // 79.5e9 parameters × 4 bytes × 3 (values, gradients, momentum) + 20 × 2e8 activations × 4.
        let expected = 3 * 4 * e.parameters + 4 * 20 * (784 + 2 * 100_000_000 + 3 * 10)
        #expect(e.totalBytes == expected)
        #expect(error.message.contains("the run needs about \(MemoryEstimate.format(bytes: expected))"), "\(error.message)")
        #expect(MemoryEstimate.format(bytes: expected) == "903 GiB")
        #expect(error.message.contains("this machine has 24 GiB available"), "\(error.message)")
        #expect(error.message.contains("smaller model"), "\(error.message)")
    }

    @Test func countsThatOverflowAreAnErrorNotATrap() throws {
        for overrides in [["model.hidden=[\(Int.max / 2)]"], ["model.hidden=[\(Int.max)]"],
                          ["model.kind=transformer", "model.width=\(Int.max / 3)", "model.heads=1", "data.dataset=text"]] {
            let config = try ConfigLoader.parse(yaml: Self.smallMLP, overrides: overrides)
            let shape = config.data.dataset == .text ? [Int]() : [1, 28, 28]
            let error = try #require(throws: UserError.self, "\(overrides)") {
                _ = try MemoryEstimate(config: config, inputShape: shape, classCount: 10, ranks: 1, dataBytes: 0)
            }
            #expect(error.message.contains("too large to exist"), "\(error.message)")
            var rng = RandomGenerator(seed: 1)
            #expect(throws: UserError.self, "\(overrides)") {
                _ = try ModelFactory.build(config: config.model, inputShape: shape, outputSize: 10, rng: &rng)
            }
        }
    }

    @Test func machineMemoryTakesTheLowerOfMemAvailableAndTheCgroupLimit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meminfo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let meminfo = dir.appendingPathComponent("meminfo").path
        try "MemTotal:       25165824 kB\nMemAvailable:   20971520 kB\n".write(toFile: meminfo, atomically: true, encoding: .utf8)
        let noCgroup = MachineMemory.available(meminfo: meminfo, cgroup: dir.path + "/none")
        #expect(noCgroup == MachineMemory.Available(bytes: 20 << 30, source: "MemAvailable in \(meminfo)"))
        try "8589934592\n".write(toFile: dir.path + "/memory.max", atomically: true, encoding: .utf8)
        try "1073741824\n".write(toFile: dir.path + "/memory.current", atomically: true, encoding: .utf8)
        #expect(MachineMemory.available(meminfo: meminfo, cgroup: dir.path)?.bytes == 7 << 30)
        try "max\n".write(toFile: dir.path + "/memory.max", atomically: true, encoding: .utf8)
        #expect(MachineMemory.available(meminfo: meminfo, cgroup: dir.path)?.bytes == 20 << 30)
        #expect(MachineMemory.ranksOnThisMachine(environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "3"]) == 3)
        #expect(MachineMemory.ranksOnThisMachine(environment: [:]) == 1)
    }

    static let configsDirectory = ProcessRunner.packageRoot.appendingPathComponent("configs").path
    static let shippedConfigs = ((try? FileManager.default.contentsOfDirectory(atPath: configsDirectory)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()
}
