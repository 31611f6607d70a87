import Foundation
import Testing
import SynapseComm
@testable import SynapseTrain

/// `synapse verify` in process (one rank; under mpirun it is tested in DistributedVerifyTests).
@Suite struct DistributedVerificationTests {
    @Test func recipesThatDifferAcrossRankCountsByDesignAreSwitchedOff() throws {
        var config = try TrainerFixture.config()
        config.model.kind = .cnn
        config.model.batchNorm = true
        config.model.syncBatchNorm = false
        config.model.convDropout = 0.1
        let (checked, notes) = DistributedVerification.adjusted(config)
        #expect(checked.model.dropout == 0 && checked.model.convDropout == 0 && checked.model.syncBatchNorm)
        #expect(notes.count == 2, "\(notes)")
        #expect(notes[0].contains("model.dropout 0.1, conv_dropout 0.1") && notes[1].contains("sync_batchnorm on"))
        // Everything else of the recipe is kept.
        var expected = config
        expected.model.dropout = 0; expected.model.convDropout = 0; expected.model.syncBatchNorm = true
        #expect(checked == expected)
        // A recipe that is already rank-count independent is left alone.
        let (same, none) = DistributedVerification.adjusted(checked)
        #expect(same == checked && none.isEmpty)
    }

    @Test(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed"))
    func oneRankAgreesWithItselfBitForBit() throws {
        let report = try DistributedVerification.run(config: try TrainerFixture.config(), steps: 3, tolerance: 0,
                                                     comm: LocalCommunicator())
        #expect(report.passed && report.ranks == 1 && report.steps == 3)
        #expect(report.worstPerStep == [0, 0, 0])
        #expect(report.tensors.map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(report.tensors.allSatisfy { $0.maxDifference == 0 && $0.scale > 0 })
        #expect(report.finalLoss.distributed == report.finalLoss.single && report.finalLoss.single.isFinite)
        #expect(report.adjustments.count == 1, "the fixture has dropout 0.1: \(report.adjustments)")
    }

    @Test func relativeDifferenceByHand() {
        let t = DistributedVerification.TensorDifference(name: "w", maxDifference: 3e-7, scale: 0.5)
        #expect(abs(t.relative - 6e-7) < 1e-12)
        #expect(DistributedVerification.TensorDifference(name: "z", maxDifference: 0, scale: 0).relative == 0)
        #expect(DistributedVerification.TensorDifference(name: "z", maxDifference: 1e-9, scale: 0).relative == .infinity)
    }

    @Test func badStepsOrToleranceAreUserErrors() throws {
        let config = try TrainerFixture.config()
        let steps = #expect(throws: UserError.self) {
            try DistributedVerification.run(config: config, steps: 0, tolerance: 1e-4, comm: LocalCommunicator())
        }
        #expect(steps?.message.contains("--steps must be at least 1") == true)
        #expect(throws: UserError.self) {
            try DistributedVerification.run(config: config, steps: 5, tolerance: -1, comm: LocalCommunicator())
        }
    }
}

/// `TrainingData.trainBatch` serves whichever shard it is asked for, also after serving another.
@Suite struct TrainingDataShardTests {
    @Test(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed"))
    func aShardRequestAfterAnotherGetsItsOwnRows() throws {
        let data = try TrainingData(config: try TrainerFixture.config())
        let whole = try data.trainBatch(epoch: 0, index: 2, globalBatch: 50, rank: 0, worldSize: 1)
        let wholeSamples = Array(whole.samples), wholeLabels = whole.labels
        let half0 = try data.trainBatch(epoch: 0, index: 2, globalBatch: 50, rank: 0, worldSize: 2)
        let half0Samples = Array(half0.samples)
        let half1 = try data.trainBatch(epoch: 0, index: 2, globalBatch: 50, rank: 1, worldSize: 2)
        let half1Samples = Array(half1.samples)
        // Global batch k is positions [k·G, (k+1)·G) of the epoch's order, sample m on rank m mod S.
        #expect(half0Samples.count == 25 && half1Samples.count == 25)
        #expect(half0Samples == stride(from: 0, to: 50, by: 2).map { wholeSamples[$0] })
        #expect(half1Samples == stride(from: 1, to: 50, by: 2).map { wholeSamples[$0] })
        let again = try data.trainBatch(epoch: 0, index: 2, globalBatch: 50, rank: 0, worldSize: 1)
        #expect(Array(again.samples) == wholeSamples && again.labels == wholeLabels)
    }
}
