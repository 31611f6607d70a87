import Foundation
import Testing
import SynapseCore
@testable import SynapseTrain

/// `train.sam_rho`: each step's update uses the gradient taken at the perturbed weights
/// w + ρ·g/‖g‖, counts the batch once in batch norm's running statistics, and resumes exactly.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerSAMTests {
    /// The trainer fixture's data and MLP (or `model`) with plain SGD (lr 0.1, no momentum),
    /// so one update is w − 0.1·g.
    private func config(rho: Float, model: String = "{ hidden: [32], dropout: 0.1, init: he_uniform }",
                        epochs: Int = 1) throws -> Config {
        try ConfigLoader.parse(yaml: """
            name: trainer-sam-test
            model: \(model)
            data: { train_subset: 2000, validation_size: 500, test_subset: 500 }
            train: { epochs: \(epochs), batch_size: 50, log_every: 10, eval_batch_size: 250, sam_rho: \(rho) }
            optimizer: { name: sgd, lr: 0.1 }
            """)
    }

    @Test func theUpdateUsesTheGradientAtThePerturbedWeights() throws {
        let runA = try ScratchDirectory("trainer-sam"), runB = try ScratchDirectory("trainer-sam-reference")
        defer { runA.remove(); runB.remove() }
        let rho: Float = 0.05
        let sam = try TrainerFixture.trainer(try config(rho: rho), in: runA)
        let reference = try TrainerFixture.trainer(try config(rho: 0), in: runB, data: sam.data)
        #expect(reference.replica.sam == nil && sam.replica.sam != nil)
        let w0 = Array(reference.arena.values)
        #expect(Array(sam.arena.values) == w0, "same seed, same initial weights")
        let batch = try sam.data.trainBatch(epoch: 0, index: 0, globalBatch: 50, rank: 0, worldSize: 1)

        // By hand on the reference trainer: g at w0, ascend to w0 + ρ·g/‖g‖, g' there (same
        // dropout masks: same step), and the SGD step from w0 with g'.
        let (loss, correct) = reference.replica.forwardBackward(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), step: 0)
        let g = Array(reference.arena.grads)
        let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        for i in w0.indices { reference.arena.values[i] = w0[i] + Float(Double(rho) * Double(g[i]) / norm) }
        _ = reference.replica.forwardBackward(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), step: 0)
        let gPerturbed = Array(reference.arena.grads)
        let expected = zip(w0, gPerturbed).map { $0 - 0.1 * $1 }
        let plainStep = zip(w0, g).map { $0 - 0.1 * $1 }

        let result = try sam.replica.step(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), at: StepPosition(step: 0, epoch: 0))
        #expect(result.loss == loss && result.correct == correct, "loss and accuracy are the first pass's, at w0")
        let got = Array(sam.arena.values)
        let error = zip(got, expected).map { abs($0 - $1) }.max()!
        let fromPlain = zip(got, plainStep).map { abs($0 - $1) }.max()!
        #expect(error < 1e-6, "max |SAM step − hand computation| = \(error)")
        #expect(fromPlain > 100 * max(error, 1e-7), "the perturbation made no difference (\(fromPlain))")
        #expect(!(sam.replica.sam?.isPerturbed ?? true))
    }

    @Test func batchNormCountsTheBatchOnce() throws {
        let runA = try ScratchDirectory("trainer-sam-bn"), runB = try ScratchDirectory("trainer-sam-bn-plain")
        defer { runA.remove(); runB.remove() }
        let model = "{ kind: cnn, conv: [4], kernel_size: 3, batch_norm: true }"
        let sam = try TrainerFixture.trainer(try config(rho: 0.05, model: model), in: runA)
        let plain = try TrainerFixture.trainer(try config(rho: 0, model: model), in: runB, data: sam.data)
        let batch = try sam.data.trainBatch(epoch: 0, index: 0, globalBatch: 50, rank: 0, worldSize: 1)
        _ = try sam.replica.step(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), at: StepPosition(step: 0, epoch: 0))
        _ = try plain.replica.step(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), at: StepPosition(step: 0, epoch: 0))
        // The first pass runs at the same weights in both, so the running statistics agree
        // exactly; the perturbed pass must not have moved them or counted a second batch.
        let samBuffers = sam.model.namedBuffers(), plainBuffers = plain.model.namedBuffers()
        #expect(samBuffers.map(\.name) == ["bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
        for (a, b) in zip(samBuffers, plainBuffers) {
            #expect(a.tensor.scalars.map(\.bitPattern) == b.tensor.scalars.map(\.bitPattern), "\(a.name)")
        }
        #expect(samBuffers[2].tensor.item() == 1)
        #expect(Array(sam.arena.values) != Array(plain.arena.values), "the updates differ")
    }

    @Test func resumeIsExact() throws {
        try TrainerFixture.expectExactResume(try config(rho: 0.05, epochs: 2), name: "trainer-sam")
    }
}
