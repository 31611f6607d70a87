import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// A short convolutional run end to end: conv blocks with batch norm and a residual block,
/// augmentation, a cosine schedule and early stopping, on a Fashion-MNIST subset.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLICNNTrainingTests {
    static let config = """
        name: cnn-e2e
        model: { kind: cnn, conv: [8, 16], kernel_size: 3, batch_norm: true, residual_blocks: 1, hidden: [32], dropout: 0.1 }
        data: { train_subset: 3500, validation_size: 500, test_subset: 1000, augment: { crop_padding: 2, horizontal_flip: true } }
        train: { epochs: 3, batch_size: 50, log_every: 20, schedule: { name: cosine, warmup_steps: 10 } }
        optimizer: { name: sgd, lr: 0.02, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4 }
        """

    /// Trains `yaml` into `dir`/run (it must exit 0) and returns the run, its metrics rows and
    /// its test accuracy.
    func train(_ yaml: String, in dir: TestDirectory) throws -> (ProcessResult, [[String: Any]], Double) {
        let config = try dir.write(yaml, to: "config.yaml")
        let result = try SynapseCLI.run(["train", config, "--run-dir", dir.file("run")], timeout: 300)
        #expect(result.status == 0, "\(result.report)")
        let rows = try metricsRows(in: dir.file("run"))
        let test = try #require(rows.last { $0["split"] as? String == "test" }, "\(result.report)")
        return (result, rows, try #require(test["accuracy"] as? Double))
    }

    @Test func shortCNNRunClearsTheAccuracyBar() throws {
        let dir = try TestDirectory("cnn-e2e")
        defer { dir.remove() }
        let (result, rows, accuracy) = try train(Self.config, in: dir)
        // This net reaches about 80 % on the 1,000 test images after 3 short epochs; 70 %
        // leaves room for platform differences while a broken conv, pooling or batch-norm
        // gradient stays far below it (chance is 10 %).
        #expect(accuracy >= 0.70, "test accuracy \(accuracy)\n\(result.report)")
        // The schedule is logged: warmup rises, cosine falls to 0 at the last step.
        let lrs = rows.filter { $0["split"] as? String == "train" }.compactMap { $0["lr"] as? Double }
        #expect(lrs.count >= 3 && lrs.last! < lrs[1], "lr column \(lrs)")
        // Batch norm running statistics are in the checkpoint, by name.
        let model = try SafeTensorsFile(contentsOf: dir.file("run/checkpoints/latest/model.safetensors"))
        #expect(model.names.contains("bn1.running_mean") && model.names.contains("res1_1.block.body.bn2.running_var"),
                "tensors: \(model.names)")
        // eval reproduces the test row from the checkpoint (buffers included).
        let eval = try SynapseCLI.run(["eval", dir.file("run/checkpoints/latest")])
        #expect(eval.status == 0 && eval.stdout.contains(String(format: "accuracy %.2f %%", 100 * accuracy)), "\(eval.report)")
    }

    @Test func earlyStoppingEndsTheRunAndRestoresTheBestWeights() throws {
        let dir = try TestDirectory("early-stop")
        defer { dir.remove() }
        let config = try dir.write(Self.config, to: "cnn.yaml")
        // min_delta 10: no epoch after the first can count as an improvement, so with
        // patience 1 the run must stop after epoch 2 of 3 and restore epoch 1's weights.
        let result = try SynapseCLI.run(["train", config, "--run-dir", dir.file("run"),
                                         "--set", "train.early_stopping.patience=1",
                                         "--set", "train.early_stopping.min_delta=10"], timeout: 300)
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("early stopping"), "\(result.report)")
        let rows = try metricsRows(in: dir.file("run"))
        let valEpochs = rows.filter { $0["split"] as? String == "val" }.compactMap { $0["epoch"] as? Int }
        #expect(valEpochs == [1, 2], "validation rows for epochs \(valEpochs)")
        let firstVal = try #require(rows.first { $0["split"] as? String == "val" })
        let eval = try SynapseCLI.run(["eval", dir.file("run/checkpoints/latest"), "--split", "val"])
        let expected = String(format: "accuracy %.2f %%", 100 * (firstVal["accuracy"] as? Double ?? -1))
        #expect(eval.status == 0 && eval.stdout.contains(expected), "expected \(expected)\n\(eval.report)")
    }

    /// VGG-style blocks, random erasing and label smoothing, end to end: the run must still
    /// learn, and the second conv layer of each block is in the checkpoint by name. (Which
    /// loss the trainer uses is checked in TrainerLossTests; with ε = 0.1 over 10 classes no
    /// loss can drop below the target's entropy, −0.91·ln 0.91 − 9·0.01·ln 0.01 ≈ 0.50.)
    @Test func vggBlocksWithErasingAndLabelSmoothingLearn() throws {
        let dir = try TestDirectory("cnn-vgg")
        defer { dir.remove() }
        let (result, rows, accuracy) = try train("""
            name: cnn-vgg
            model: { kind: cnn, conv: [8, 16], convs_per_block: 2, kernel_size: 3, batch_norm: true, hidden: [32] }
            data: { train_subset: 3500, validation_size: 500, test_subset: 1000,
                    augment: { crop_padding: 2, horizontal_flip: true, random_erasing: 0.5 } }
            train: { epochs: 3, batch_size: 50, log_every: 10, label_smoothing: 0.1, schedule: { name: cosine } }
            optimizer: { name: sgd, lr: 0.02, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4 }
            """, in: dir)
        #expect(accuracy >= 0.70, "test accuracy \(accuracy)\n\(result.report)")
        let trainLosses = rows.filter { $0["split"] as? String == "train" }.compactMap { $0["loss"] as? Double }
        #expect(trainLosses.count >= 10 && trainLosses.allSatisfy { $0 > 0.50 }, "below the smoothed floor: \(trainLosses)")
        let model = try SafeTensorsFile(contentsOf: dir.file("run/checkpoints/latest/model.safetensors"))
        #expect(model.names.contains("conv1_2.weight") && model.names.contains("bn2_2.running_var"), "tensors: \(model.names)")
    }
}
