import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseOptim
@testable import SynapseTrain

/// Small in-process training runs on a Fashion-MNIST subset, shared by the Trainer tests.
enum TrainerFixture {
    /// Whether the dataset is installed where the default config looks for it.
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: DataConfig.Dataset.fashionMNIST.defaultPath + "/train-images-idx3-ubyte.gz")

    /// An MLP 784-32-10 with dropout, trained with Adam on 1,500 samples in batches of 50
    /// (30 steps per epoch); 500 validation and 500 test samples.
    static func config(epochs: Int = 1) throws -> Config {
        try ConfigLoader.parse(yaml: """
            name: trainer-test
            model: { hidden: [32], dropout: 0.1, init: he_uniform }
            data: { train_subset: 2000, validation_size: 500, test_subset: 500 }
            train: { epochs: \(epochs), batch_size: 50, log_every: 10, eval_batch_size: 250 }
            optimizer: { name: adam, lr: 0.002 }
            """)
    }

    /// A trainer writing into `directory`, with no signal handlers installed in the test process.
    static func trainer(_ config: Config, in directory: ScratchDirectory, data: TrainingData? = nil,
                        stop: StopSignal = StopSignal(signals: [])) throws -> Trainer {
        try Trainer(config: config, comm: LocalCommunicator(), runDirectory: URL(fileURLWithPath: directory.path),
                    stopSignal: stop, data: data)
    }
}

extension TrainerFixture {
    /// Trains `config` (2 epochs of 30 steps) straight through, and again resumed from the
    /// first epoch's checkpoint in a fresh trainer: the weights must agree bit for bit, and
    /// the validation and test results exactly. `beforeResume` runs between the two (to take
    /// away what the resumed run must not need).
    static func expectExactResume(_ config: Config, name: String, beforeResume: () throws -> Void = {},
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let straightRun = try ScratchDirectory(name + "-straight"), resumedRun = try ScratchDirectory(name + "-resumed")
        defer { straightRun.remove(); resumedRun.remove() }
        let straight = try trainer(config, in: straightRun)
        let reference = try straight.run(resumeFrom: nil)
        try beforeResume()
        let epochEnd = URL(fileURLWithPath: straightRun.path + "/checkpoints/step-00000030")
        let resumed = try trainer(config, in: resumedRun, data: straight.data)
        let summary = try resumed.run(resumeFrom: epochEnd)
        #expect(bits(resumed.arena.values) == bits(straight.arena.values), sourceLocation: sourceLocation)
        #expect(summary.test == reference.test && summary.finalVal == reference.finalVal, sourceLocation: sourceLocation)
    }
}

/// The raw bits of a buffer of floats, so comparisons are exact (and NaN-safe).
func bits(_ values: UnsafeMutableBufferPointer<Float>) -> [UInt32] { values.map(\.bitPattern) }

/// The optimizer state by name, as raw bits.
func stateBits(_ optimizer: any Optimizer) -> [String: [UInt32]] {
    Dictionary(uniqueKeysWithValues: optimizer.stateTensors.map {
        ($0.name, UnsafeBufferPointer(start: $0.pointer, count: $0.count).map(\.bitPattern))
    })
}

@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerCheckpointTests {
    @Test func checkpointLoadsIntoAFreshTrainerBitExactly() throws {
        let runA = try ScratchDirectory("trainer-save"), runB = try ScratchDirectory("trainer-load")
        defer { runA.remove(); runB.remove() }
        let config = try TrainerFixture.config()
        let trained = try TrainerFixture.trainer(config, in: runA)
        let summary = try trained.run(resumeFrom: nil)
        #expect(summary.steps == 30 && !summary.stoppedBySignal)
        let checkpoint = try #require(summary.checkpoint)
        #expect(checkpoint.lastPathComponent == "step-00000030")

        // A fresh trainer (its own data, same seed) starts from the initial weights: different.
        let fresh = try TrainerFixture.trainer(config, in: runB)
        #expect(bits(fresh.arena.values) != bits(trained.arena.values), "training did not change the weights")

        let loaded = try CheckpointStore.load(path: checkpoint.path)
        try loaded.safeTensors("model.safetensors").read(into: fresh.arena)
        #expect(bits(fresh.arena.values) == bits(trained.arena.values))

        // Same weights, same data, same arithmetic: the same evaluation to the last bit, and
        // the same as the test row the run recorded.
        let before = try trained.evaluate(split: .test), after = try fresh.evaluate(split: .test)
        #expect(after == before)
        #expect(summary.test == before)
        #expect(try fresh.evaluate(split: .validation) == trained.evaluate(split: .validation))

        // The optimizer file holds the optimizer's state under the same names.
        let optimizerFile = try loaded.safeTensors("optimizer.safetensors")
        let saved = stateBits(trained.optimizer)
        #expect(Set(optimizerFile.names) == Set(saved.keys))
        for name in optimizerFile.names {
            #expect(try optimizerFile.floats(named: name).map(\.bitPattern) == saved[name], "\(name)")
        }
        #expect(optimizerFile.metadata["step_count"] == "30")
    }

    @Test func checkpointRecordsTheProgressAndTheConfig() throws {
        let run = try ScratchDirectory("trainer-progress")
        defer { run.remove() }
        let config = try TrainerFixture.config(epochs: 2)
        let summary = try TrainerFixture.trainer(config, in: run).run(resumeFrom: nil)
        let loaded = try CheckpointStore.load(path: try #require(summary.checkpoint).path)
        #expect(loaded.state.step == 60 && loaded.state.epoch == 2 && loaded.state.batchInEpoch == 0)
        #expect(loaded.state.configHash == config.hash)
        let progress = try JSONDecoder().decode(TrainingProgress.self, from: try #require(loaded.files["progress.json"]))
        #expect(progress.step == 60 && progress.epoch == 2)
        #expect(progress.lastVal == summary.finalVal && progress.bestVal == summary.bestVal)
        let yaml = String(decoding: try #require(loaded.files["config.yaml"]), as: UTF8.self)
        #expect(try ConfigLoader.parse(yaml: yaml) == config)
        // The epoch-1 checkpoint is there too (keep_checkpoints 3).
        #expect(try CheckpointStore.load(path: run.path + "/checkpoints/step-00000030").state.epoch == 1)
    }
}
