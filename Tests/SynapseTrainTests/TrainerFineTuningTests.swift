import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseNN
@testable import SynapseTrain

/// Transfer learning: `model.init_from` copies the tensors whose name and shape match from a
/// trained run and leaves the rest at their fresh initialization; `train.freeze` keeps chosen
/// layers bit for bit through training; a resumed fine-tuning run is exact and never reads the
/// source again; bad sources and prefixes are refused with messages that say what to do.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerFineTuningTests {
    /// 2,000 Fashion-MNIST images (500 for validation), batches of 50: 30 steps per epoch.
    private func config(model: String, train: String = "", optimizer: String = "{ name: sgd, lr: 0.1 }",
                        epochs: Int = 1, seed: Int = 42) throws -> Config {
        try ConfigLoader.parse(yaml: """
            name: fine-tuning-test
            model: \(model)
            data: { train_subset: 2000, validation_size: 500, test_subset: 500 }
            train: { epochs: \(epochs), batch_size: 50, log_every: 10, eval_batch_size: 250, seed: \(seed)\(train) }
            optimizer: \(optimizer)
            """)
    }

    /// The source MLP 784-32-16-10.
    private static let mlp = "{ hidden: [32, 16], init: he_uniform }"
    /// The source CNN: one block of 4 channels with batch norm, then the classifier.
    private static let cnn = "{ kind: cnn, conv: [4], kernel_size: 3, batch_norm: true, hidden: [] }"

    /// A model trained for one epoch into `directory` with seed 7 (so its initial weights are
    /// not those of the seed-42 runs that start from it).
    @discardableResult
    private func pretrain(_ model: String, in directory: ScratchDirectory) throws -> Trainer {
        let trainer = try TrainerFixture.trainer(try config(model: model, seed: 7), in: directory)
        _ = try trainer.run(resumeFrom: nil)
        return trainer
    }

    /// `model` with `init_from: source` (and `extra` keys) added to its flow mapping.
    private func startingFrom(_ source: ScratchDirectory, _ model: String, _ extra: String = "") -> String {
        String(model.dropLast(2)) + ", init_from: \(source.path)\(extra) }"
    }

    /// The tensors of the source run's latest model.safetensors, as raw bits.
    private func checkpointBits(_ source: ScratchDirectory) throws -> [String: [UInt32]] {
        let file = try CheckpointStore.load(path: source.path).safeTensors("model.safetensors")
        var out: [String: [UInt32]] = [:]
        for name in file.names { out[name] = try file.floats(named: name).map(\.bitPattern) }
        return out
    }

    /// Every parameter and buffer of `trainer`'s model by name, as raw bits.
    private func modelBits(_ trainer: Trainer) -> [String: [UInt32]] {
        var out: [String: [UInt32]] = [:]
        for (name, tensor) in trainer.model.namedParameters() + trainer.model.namedBuffers() {
            out[name] = tensor.scalars.map(\.bitPattern)
        }
        return out
    }

    /// Expects two tensors' bits to agree; a failure names the tensor rather than printing every value.
    private func expectSame(_ a: [UInt32]?, _ b: [UInt32]?, _ message: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let same = a != nil && a == b
        #expect(same, "\(message)", sourceLocation: sourceLocation)
    }

    /// Expects two tensors' bits to differ somewhere.
    private func expectDifferent(_ a: [UInt32]?, _ b: [UInt32]?, _ message: String = "",
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let different = a != nil && b != nil && a != b
        #expect(different, "\(message)", sourceLocation: sourceLocation)
    }

    // MARK: - Copying

    @Test func matchingTensorsAreCopiedAndResizedOnesStartFresh() throws {
        let source = try ScratchDirectory("finetune-source"), run = try ScratchDirectory("finetune-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.mlp, in: source)
        // 784-32-24-10: fc1 fits, fc2 [24, 32] and fc3.weight [10, 24] do not; fc3.bias [10] does.
        let resized = "{ hidden: [32, 24], init: he_uniform }"
        let fine = try TrainerFixture.trainer(try config(model: startingFrom(source, resized)), in: run)
        let scratch = try TrainerFixture.trainer(try config(model: resized), in: run, data: fine.data)
        try fine.loadPretrainedWeights()

        let saved = try checkpointBits(source), got = modelBits(fine), fresh = modelBits(scratch)
        for name in ["fc1.weight", "fc1.bias", "fc3.bias"] {
            expectSame(got[name], saved[name], "\(name) was not copied from the checkpoint")
            expectDifferent(got[name], fresh[name], "\(name): the checkpoint's values should differ from a fresh init")
        }
        for name in ["fc2.weight", "fc2.bias", "fc3.weight"] {
            expectSame(got[name], fresh[name], "\(name) should keep the fresh initialization of seed 42")
        }
        let summary = try #require(PretrainedWeights.rebuiltSummary(of: fine))
        #expect(summary.contains("copied 3 of 6 parameter tensors"), "\(summary)")
        #expect(summary.contains("fc2.weight [24, 32] (checkpoint [16, 32])"), "\(summary)")
        #expect(summary.contains("fc3.weight [10, 24] (checkpoint [10, 16])"), "\(summary)")
    }

    @Test func batchNormStatisticsAreCopiedAndAddedLayersStartFresh() throws {
        let source = try ScratchDirectory("finetune-bn-source"), run = try ScratchDirectory("finetune-bn-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.cnn, in: source)
        // A second conv block: conv1 and bn1 fit, conv2 and bn2 are new, fc1.weight shrinks to [10, 392].
        let deeper = "{ kind: cnn, conv: [4, 8], kernel_size: 3, batch_norm: true, hidden: [] }"
        let fine = try TrainerFixture.trainer(try config(model: startingFrom(source, deeper)), in: run)
        let scratch = try TrainerFixture.trainer(try config(model: deeper), in: run, data: fine.data)
        try fine.loadPretrainedWeights()

        let saved = try checkpointBits(source), got = modelBits(fine), fresh = modelBits(scratch)
        for name in ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                     "bn1.num_batches_tracked", "fc1.bias"] {
            expectSame(got[name], saved[name], "\(name) was not copied from the checkpoint")
        }
        expectDifferent(got["bn1.running_mean"], fresh["bn1.running_mean"], "the source's statistics moved away from 0 in training")
        for name in ["conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "fc1.weight"] {
            expectSame(got[name], fresh[name], "\(name) should keep its fresh initialization")
        }
    }

    @Test func initSkipKeepsChosenLayersFresh() throws {
        let source = try ScratchDirectory("finetune-skip-source"), run = try ScratchDirectory("finetune-skip-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.mlp, in: source)
        let fine = try TrainerFixture.trainer(try config(model: startingFrom(source, Self.mlp, ", init_skip: [fc3, fc2.bias]")),
                                              in: run)
        let scratch = try TrainerFixture.trainer(try config(model: Self.mlp), in: run, data: fine.data)
        try fine.loadPretrainedWeights()
        let saved = try checkpointBits(source), got = modelBits(fine), fresh = modelBits(scratch)
        for name in ["fc1.weight", "fc1.bias", "fc2.weight"] {
            expectSame(got[name], saved[name], "\(name) was not copied from the checkpoint")
        }
        for name in ["fc2.bias", "fc3.weight", "fc3.bias"] {
            expectSame(got[name], fresh[name], "\(name) is in init_skip")
        }
        #expect(PretrainedWeights.rebuiltSummary(of: fine)?.contains("fc3.weight (init_skip)") == true)
    }

    // MARK: - Freezing

    @Test(arguments: [
        "{ name: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01, l1: 1.0e-4, l2: 1.0e-3 }",
        "{ name: adam, lr: 0.01, weight_decay: 0.01, l2: 1.0e-3 }",
    ])
    func frozenParametersStayBitIdentical(optimizer: String) throws {
        let source = try ScratchDirectory("finetune-freeze-source"), run = try ScratchDirectory("finetune-freeze-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.mlp, in: source)
        let cfg = try config(model: startingFrom(source, Self.mlp),
                             train: ", freeze: [fc1, fc2.bias], ema_decay: 0.9, grad_clip_norm: 1.0", optimizer: optimizer)
        let trainer = try TrainerFixture.trainer(cfg, in: run)
        let summary = try trainer.run(resumeFrom: nil)
        #expect(summary.steps == 30)

        let saved = try checkpointBits(source), got = modelBits(trainer)
        let ema = try #require(trainer.ema)
        var statesChecked = 0
        for name in ["fc1.weight", "fc1.bias", "fc2.bias"] {
            expectSame(got[name], saved[name], "\(name) is frozen but changed")
            let entry = try #require(trainer.arena.entry(named: name))
            expectSame(ema.parameters[entry.offset..<(entry.offset + entry.count)].map(\.bitPattern), saved[name],
                       "the moving average of frozen \(name) moved")
            for state in trainer.optimizer.stateTensors where state.name.hasPrefix(name + ".") {
                let values = UnsafeBufferPointer(start: state.pointer, count: state.count)
                #expect(values.allSatisfy { $0 == 0 }, "\(state.name) holds optimizer state for a frozen parameter")
                statesChecked += 1
            }
        }
        #expect(statesChecked >= 3, "momentum or moment buffers of the frozen parameters")
        for name in ["fc2.weight", "fc3.weight", "fc3.bias"] {
            expectDifferent(got[name], saved[name], "\(name) is not frozen but did not train")
        }
        #expect(trainer.arena.trainableCount == 16 * 32 + 10 * 16 + 10)
    }

    @Test func aFrozenBatchNormLayerKeepsItsStatistics() throws {
        let source = try ScratchDirectory("finetune-bnfreeze-source"), run = try ScratchDirectory("finetune-bnfreeze-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.cnn, in: source)
        let trainer = try TrainerFixture.trainer(
            try config(model: startingFrom(source, Self.cnn), train: ", freeze: [conv1, bn1], ema_decay: 0.9"), in: run)
        let bn = try #require((trainer.model as! Sequential).layers.compactMap { $0 as? BatchNorm }.first)
        #expect(bn.isFrozen, "a batch norm layer with frozen γ and β normalizes with its running statistics")
        _ = try trainer.run(resumeFrom: nil)

        let saved = try checkpointBits(source), got = modelBits(trainer)
        for name in ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"] {
            expectSame(got[name], saved[name], "\(name) belongs to a frozen layer but changed")
        }
        let ema = try #require(trainer.ema)
        for (k, (name, _)) in trainer.model.namedBuffers().enumerated() {
            expectSame(ema.buffers[k].map(\.bitPattern), saved[name], "the moving average of \(name) moved")
        }
        expectDifferent(got["fc1.weight"], saved["fc1.weight"], "the classifier is not frozen but did not train")

        // Freezing only γ leaves the layer in training mode: its statistics follow the batches.
        let partial = try TrainerFixture.trainer(
            try config(model: startingFrom(source, Self.cnn), train: ", freeze: [conv1, bn1.weight]"), in: run, data: trainer.data)
        #expect((partial.model as! Sequential).layers.compactMap { $0 as? BatchNorm }.first?.isFrozen == false)
        _ = try partial.run(resumeFrom: nil)
        expectDifferent(modelBits(partial)["bn1.running_mean"], saved["bn1.running_mean"], "bn1 trains β: its statistics move")
    }

    // MARK: - Resume

    @Test func resumeIsExactAndDoesNotReadTheSourceAgain() throws {
        let source = try ScratchDirectory("finetune-resume-source")
        defer { source.remove() }
        try pretrain(Self.mlp, in: source)
        let cfg = try config(model: startingFrom(source, "{ hidden: [32, 24], init: he_uniform, dropout: 0.1 }"),
                             train: ", freeze: [fc1], ema_decay: 0.9",
                             optimizer: "{ name: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.001 }", epochs: 2)
        // The source is deleted after the straight run: the resumed run must not need it.
        try TrainerFixture.expectExactResume(cfg, name: "finetune-resume", beforeResume: { source.remove() })
        // A new run does need it, and now says so.
        let again = try ScratchDirectory("finetune-resume-new")
        defer { again.remove() }
        let error = "\(try #require(throws: (any Error).self) { try TrainerFixture.trainer(cfg, in: again).run(resumeFrom: nil) })"
        #expect(error.contains("model.init_from: cannot load \(source.path)"), "\(error)")
    }

    // MARK: - Errors

    @Test func aMissingOrBrokenSourceIsRefusedWithAFix() throws {
        let source = try ScratchDirectory("finetune-bad-source"), run = try ScratchDirectory("finetune-bad-run")
        defer { source.remove(); run.remove() }
        func failure(_ initFrom: String) throws -> String {
            let trainer = try TrainerFixture.trainer(try config(model: "{ hidden: [32, 16], init: he_uniform, init_from: '\(initFrom)' }"),
                                                     in: run)
            let before = bits(trainer.arena.values)
            let error = try #require(throws: (any Error).self) { try trainer.loadPretrainedWeights() }
            #expect(bits(trainer.arena.values) == before, "a refused source must leave the model as it was")
            #expect(error is AgreedFailure && "\(error)".contains("or remove it to start from random weights"), "\(error)")
            return "\(error)"
        }
        let missing = source.file("no-such-run")
        #expect(try failure(missing).contains("model.init_from: cannot load \(missing)"))
        #expect(try failure(missing).contains("does not exist"))
        #expect(try failure(source.path).contains("no checkpoint in \(source.path)"))

        try pretrain(Self.mlp, in: source)
        let checkpoint = try CheckpointStore.load(path: source.path).path
        let model = URL(fileURLWithPath: checkpoint + "/model.safetensors")
        var bytes = [UInt8](try Data(contentsOf: model))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: model)
        let corrupt = try failure(source.path)
        #expect(corrupt.contains("model.safetensors checksum mismatch") && corrupt.contains(checkpoint), "\(corrupt)")
    }

    @Test func aSourceOfAnotherModelIsRefused() throws {
        let source = try ScratchDirectory("finetune-other-source"), run = try ScratchDirectory("finetune-other-run")
        defer { source.remove(); run.remove() }
        try pretrain(Self.mlp, in: source)
        // An MLP's checkpoint into a CNN: not one name and shape in common.
        let cnn = try TrainerFixture.trainer(try config(model: startingFrom(source, "{ kind: cnn, conv: [4], hidden: [] }")), in: run)
        let before = bits(cnn.arena.values)
        let error = "\(try #require(throws: (any Error).self) { try cnn.loadPretrainedWeights() })"
        #expect(error.contains("model.init_from: no parameter of \(source.path)"), "\(error)")
        #expect(error.contains("fc1.weight [32, 784]") && error.contains("conv1.weight [4, 1, 3, 3]"), "\(error)")
        #expect(error.contains("remove model.init_from"), "\(error)")
        #expect(bits(cnn.arena.values) == before)

        // init_skip that takes away every tensor that would fit.
        let skipAll = try TrainerFixture.trainer(
            try config(model: startingFrom(source, Self.mlp, ", init_skip: [fc1, fc2, fc3]")), in: run, data: cnn.data)
        let skipped = "\(try #require(throws: (any Error).self) { try skipAll.loadPretrainedWeights() })"
        #expect(skipped.contains("excluded by model.init_skip"), "\(skipped)")
    }

    @Test func prefixesThatMatchNothingListTheLayers() throws {
        let run = try ScratchDirectory("finetune-prefix")
        defer { run.remove() }
        func failure(_ model: String, _ train: String) throws -> String {
            "\(try #require(throws: UserError.self) { try TrainerFixture.trainer(try config(model: model, train: train), in: run) })"
        }
        let unknown = try failure(Self.mlp, ", freeze: [fc1, fc9]")
        #expect(unknown.contains("train.freeze[1]: 'fc9' matches no parameter"), "\(unknown)")
        #expect(unknown.contains("its layers are fc1, fc2, fc3"), "\(unknown)")
        // Whole components only: conv1 is not conv1_2, and "fc" is no layer.
        let partial = try failure("{ kind: cnn, conv: [4], convs_per_block: 2, hidden: [] }", ", freeze: [conv1_]")
        #expect(partial.contains("'conv1_' matches no parameter") && partial.contains("conv1, conv1_2, fc1"), "\(partial)")
        let everything = try failure(Self.mlp, ", freeze: [fc1, fc2, fc3]")
        #expect(everything.contains("nothing to train"), "\(everything)")
        let skip = try failure("{ hidden: [32], init_from: runs/x, init_skip: [head] }", "")
        #expect(skip.contains("model.init_skip[0]: 'head' matches no parameter"), "\(skip)")
    }
}

extension PretrainedWeights {
    /// The console line `loadPretrainedWeights` printed for `trainer`, rebuilt by reading the
    /// source again into scratch tensors (a test cannot read its own standard output).
    static func rebuiltSummary(of trainer: Trainer) -> String? {
        let scratch = ParameterArena(parameters: trainer.arena.entries.map {
            (name: $0.name, tensor: Tensor(shape: $0.shape, repeating: 0))
        })
        let buffers = trainer.model.namedBuffers().map { (name: $0.name, tensor: Tensor(shape: $0.tensor.shape, repeating: 0)) }
        return try? PretrainedWeights(path: trainer.config.model.initFrom, skip: trainer.config.model.initSkip,
                                      into: scratch, buffers: buffers).summary
    }
}
