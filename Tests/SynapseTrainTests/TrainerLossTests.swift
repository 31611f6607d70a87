import Foundation
import Testing
import SynapseCore
import SynapseTestSupport
@testable import SynapseTrain

/// The trainer's loss is the one the config names, label smoothing included: the same
/// function trains and evaluates, so train, validation and test losses are comparable.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerLossTests {
    @Test func configuredLabelSmoothingIsTheTrainingLoss() throws {
        var config = try TrainerFixture.config()
        config.train.labelSmoothing = 0.2
        let run = try ScratchDirectory("trainer-loss")
        defer { run.remove() }
        let trainer = try TrainerFixture.trainer(config, in: run)
        let logits = randomTensor([6, 10], seed: 3, low: -3, high: 3)
        let labels: [Int32] = [0, 9, 4, 4, 1, 7]
        for reduction in [Reduction.mean, .sum] {
            let used = trainer.replica.objective.loss(logits, TrainingBatch(inputs: logits, targets: labels), reduction: reduction).item()
            let smoothed = crossEntropy(logits: logits, labels: labels, reduction: reduction, labelSmoothing: 0.2).item()
            let plain = crossEntropy(logits: logits, labels: labels, reduction: reduction).item()
            #expect(used == smoothed && abs(used - plain) > 1e-3, "\(reduction): used \(used), smoothed \(smoothed), plain \(plain)")
        }
    }
}
