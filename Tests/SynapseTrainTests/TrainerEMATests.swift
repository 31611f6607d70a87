import Foundation
import Testing
import SynapseComm
import SynapseCore
@testable import SynapseTrain

/// `train.ema_decay`: validation, test and `synapse eval` score the moving average of the
/// weights, and a resumed run continues the average exactly.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerEMATests {
    /// The trainer fixture's MLP with an average over roughly the last 10 steps.
    private func config(epochs: Int) throws -> Config {
        var config = try TrainerFixture.config(epochs: epochs)
        config.train.emaDecay = 0.9
        return config
    }

    @Test func testAndValidationScoreTheAverageNotTheLiveWeights() throws {
        let run = try ScratchDirectory("trainer-ema")
        defer { run.remove() }
        let trainer = try TrainerFixture.trainer(try config(epochs: 1), in: run)
        let summary = try trainer.run(resumeFrom: nil)
        let ema = try #require(trainer.ema)
        #expect(ema.updates == 30, "one update per optimizer step")
        #expect(bits(trainer.arena.values) != ema.parameters.map(\.bitPattern), "the average differs from the live weights")

        let live = try trainer.replica.evaluateCurrentWeights(.test, on: trainer.source)
        ema.swapWithModel()
        let averaged = try trainer.replica.evaluateCurrentWeights(.test, on: trainer.source)
        let averagedValidation = try trainer.replica.evaluateCurrentWeights(.validation, on: trainer.source)
        ema.swapWithModel()
        #expect(summary.test == averaged)
        #expect(summary.finalVal == averagedValidation)
        #expect(live.loss != averaged.loss)
        #expect(try trainer.evaluate(split: .test) == averaged, "evaluate leaves the live weights in place")
    }

    @Test func resumeContinuesTheAverageExactly() throws {
        let cfg = try config(epochs: 2)
        let straightRun = try ScratchDirectory("trainer-ema-straight"), resumedRun = try ScratchDirectory("trainer-ema-resumed")
        defer { straightRun.remove(); resumedRun.remove() }
        let straight = try TrainerFixture.trainer(cfg, in: straightRun)
        let reference = try straight.run(resumeFrom: nil)

        // The checkpoint after epoch 1 (step 30) carries the average and its update count.
        let epochEnd = URL(fileURLWithPath: straightRun.path + "/checkpoints/step-00000030")
        let saved = try CheckpointStore.load(path: epochEnd.path).safeTensors("ema.safetensors")
        #expect(saved.metadata["updates"] == "30")

        let resumed = try TrainerFixture.trainer(cfg, in: resumedRun, data: straight.data)
        let summary = try resumed.run(resumeFrom: epochEnd)
        let a = try #require(resumed.ema), b = try #require(straight.ema)
        #expect(a.updates == 60 && b.updates == 60)
        #expect(a.parameters.map(\.bitPattern) == b.parameters.map(\.bitPattern), "the averages differ")
        #expect(bits(resumed.arena.values) == bits(straight.arena.values))
        #expect(summary.test == reference.test && summary.finalVal == reference.finalVal)
    }

    @Test func evalOfTheCheckpointScoresTheAverage() throws {
        let run = try ScratchDirectory("trainer-ema-eval")
        defer { run.remove() }
        let summary = try TrainerFixture.trainer(try config(epochs: 1), in: run).run(resumeFrom: nil)
        let checkpoint = try #require(summary.checkpoint)
        let test = try #require(summary.test)
        let line = try TrainingSession.evaluate(checkpoint: checkpoint.path, split: "test", dataPath: nil,
                                                comm: LocalCommunicator())
        #expect(line.contains(String(format: "loss %.4f  accuracy %.2f %%", test.loss, 100 * test.accuracy)), "\(line)")

        // Without its average (and without it in the index) the checkpoint is incomplete: a
        // clear error naming the file, not a silent score of the live weights.
        try FileManager.default.removeItem(atPath: checkpoint.path + "/ema.safetensors")
        let statePath = checkpoint.path + "/state.json"
        var state = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statePath))) as? [String: Any])
        var files = try #require(state["files"] as? [String: Any])
        files["ema.safetensors"] = nil
        state["files"] = files
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: statePath))
        // All ranks agreed on it (AgreedFailure); what they agreed on is the user's error.
        let agreed = #expect(throws: AgreedFailure.self) {
            _ = try TrainingSession.evaluate(checkpoint: checkpoint.path, split: "test", dataPath: nil, comm: LocalCommunicator())
        }
        let error = agreed?.underlying as? UserError
        #expect(error?.message.contains("no ema.safetensors") == true, "\(String(describing: agreed))")
    }

    @Test func earlyStoppingRestoresTheBestAverage() throws {
        // Accuracy must improve by 50 points to count: epoch 1 stays the best, and patience 1
        // stops the run after epoch 2 with the weights of epoch 1 restored.
        var cfg = try config(epochs: 4)
        cfg.train.earlyStopping = EarlyStoppingConfig(patience: 1, minDelta: 0.5, metric: .valAccuracy, restoreBest: true)
        let run = try ScratchDirectory("trainer-ema-early")
        defer { run.remove() }
        let trainer = try TrainerFixture.trainer(cfg, in: run)
        let summary = try trainer.run(resumeFrom: nil)
        #expect(summary.stoppedEarly && summary.bestEpoch == 1 && summary.steps == 60)

        // What validation scored at epoch 1 was the average saved in that epoch's checkpoint.
        let epochOne = try CheckpointStore.load(path: run.path + "/checkpoints/step-00000030")
        let saved = try epochOne.safeTensors("ema.safetensors")
        let ema = try #require(trainer.ema)
        let average = try CheckpointIO.readSnapshot(saved, arena: trainer.arena, buffers: trainer.model.namedBuffers())
        #expect(ema.parameters.map(\.bitPattern) == average.values.map(\.bitPattern), "the average is epoch 1's")
        #expect(bits(trainer.arena.values) == average.values.map(\.bitPattern), "and so are the live weights")
        #expect(summary.test == (try trainer.replica.evaluateCurrentWeights(.test, on: trainer.source)))
    }
}
