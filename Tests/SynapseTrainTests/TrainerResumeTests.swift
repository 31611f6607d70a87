import Foundation
import Testing
import SynapseComm
import SynapseCore
@testable import SynapseTrain

/// `Trainer.run(resumeFrom:)` continues exactly: stopped and resumed runs end with the same
/// parameter and optimizer-state bits, validation history and test result as one that never
/// stopped (2 epochs of 30 steps, Adam, dropout on).
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerResumeTests {
    /// The uninterrupted run and its directory (kept for the duration of one test).
    private func uninterrupted(_ config: Config) throws -> (trainer: Trainer, summary: TrainingSummary, run: ScratchDirectory) {
        let run = try ScratchDirectory("trainer-straight")
        let trainer = try TrainerFixture.trainer(config, in: run)
        return (trainer, try trainer.run(resumeFrom: nil), run)
    }

    private func expectSameEnd(_ resumed: Trainer, _ resumedSummary: TrainingSummary,
                               as reference: Trainer, _ referenceSummary: TrainingSummary,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(bits(resumed.arena.values) == bits(reference.arena.values), "parameters differ", sourceLocation: sourceLocation)
        #expect(stateBits(resumed.optimizer) == stateBits(reference.optimizer), "optimizer state differs",
                sourceLocation: sourceLocation)
        #expect(resumed.optimizer.stepCount == reference.optimizer.stepCount, sourceLocation: sourceLocation)
        #expect(resumedSummary.steps == referenceSummary.steps, sourceLocation: sourceLocation)
        #expect(resumedSummary.test == referenceSummary.test, sourceLocation: sourceLocation)
        #expect(resumedSummary.finalVal == referenceSummary.finalVal, sourceLocation: sourceLocation)
        #expect(resumedSummary.bestVal == referenceSummary.bestVal && resumedSummary.bestEpoch == referenceSummary.bestEpoch,
                sourceLocation: sourceLocation)
    }

    @Test func stopRequestedBeforeTheFirstStepSavesStepOneAndResumesExactly() throws {
        let config = try TrainerFixture.config(epochs: 2)
        let reference = try uninterrupted(config)
        defer { reference.run.remove() }

        // A stop already requested is seen at the first step boundary: checkpoint at step 1,
        // mid-epoch, without a test pass.
        let run = try ScratchDirectory("trainer-stopped")
        defer { run.remove() }
        let stop = StopSignal(signals: [])
        stop.request()
        let stopped = try TrainerFixture.trainer(config, in: run, data: reference.trainer.data, stop: stop)
            .run(resumeFrom: nil)
        #expect(stopped.stoppedBySignal && stopped.steps == 1 && stopped.test == nil)
        let checkpoint = try #require(stopped.checkpoint)
        let state = try CheckpointStore.load(path: checkpoint.path).state
        #expect(state.step == 1 && state.epoch == 0 && state.batchInEpoch == 1)

        let resumed = try TrainerFixture.trainer(config, in: run, data: reference.trainer.data)
        let summary = try resumed.run(resumeFrom: checkpoint)
        #expect(!summary.stoppedBySignal)
        expectSameEnd(resumed, summary, as: reference.trainer, reference.summary)
    }

    @Test func resumeFromTheEpochEndCheckpointIsExact() throws {
        let config = try TrainerFixture.config(epochs: 2)
        let reference = try uninterrupted(config)
        defer { reference.run.remove() }
        // The reference run saved a checkpoint after epoch 1 (step 30), validation included.
        let epochEnd = URL(fileURLWithPath: reference.run.path + "/checkpoints/step-00000030")
        let run = try ScratchDirectory("trainer-resumed")
        defer { run.remove() }
        let resumed = try TrainerFixture.trainer(config, in: run, data: reference.trainer.data)
        let summary = try resumed.run(resumeFrom: epochEnd)
        expectSameEnd(resumed, summary, as: reference.trainer, reference.summary)
        #expect(summary.bestEpoch != nil, "the validation history comes back with the checkpoint")
    }

    /// With gradient accumulation (5 micro-batches of 10 per step, dropout masks per
    /// micro-batch) the checkpoint at the epoch end resumes just as exactly.
    @Test func resumeWithGradientAccumulationIsExact() throws {
        var config = try TrainerFixture.config(epochs: 2)
        config.train.accumulateSteps = 5
        let reference = try uninterrupted(config)
        defer { reference.run.remove() }
        let epochEnd = URL(fileURLWithPath: reference.run.path + "/checkpoints/step-00000030")
        let run = try ScratchDirectory("trainer-resumed-accumulated")
        defer { run.remove() }
        let resumed = try TrainerFixture.trainer(config, in: run, data: reference.trainer.data)
        let summary = try resumed.run(resumeFrom: epochEnd)
        expectSameEnd(resumed, summary, as: reference.trainer, reference.summary)
    }

    @Test func resumingAFinishedRunOnlyEvaluates() throws {
        let config = try TrainerFixture.config(epochs: 1)
        let reference = try uninterrupted(config)
        defer { reference.run.remove() }
        let resumed = try TrainerFixture.trainer(config, in: reference.run, data: reference.trainer.data)
        let checkpoint = try #require(reference.summary.checkpoint as URL?)
        let summary = try resumed.run(resumeFrom: checkpoint)
        #expect(summary.steps == reference.summary.steps)
        expectSameEnd(resumed, summary, as: reference.trainer, reference.summary)
    }
}
