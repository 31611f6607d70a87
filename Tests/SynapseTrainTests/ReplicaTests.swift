import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseNN
@testable import SynapseTrain

/// `Replica` takes any `Module`, not only the `Sequential` models the factory builds: a model
/// with two branches (a linear path and a hidden-layer path, added) trains through the same
/// step, on a data source written here.
@Suite struct ReplicaTests {
    /// y = linear(x) + fc2(tanh(fc1(x))).
    final class TwoBranch: Module {
        let direct: Linear, fc1: Linear, fc2: Linear
        init(rng: inout RandomGenerator) {
            direct = Linear(inputSize: 2, outputSize: 2, rng: &rng)
            fc1 = Linear(inputSize: 2, outputSize: 16, rng: &rng)
            fc2 = Linear(inputSize: 16, outputSize: 2, rng: &rng)
            super.init()
            registerModule("direct", direct)
            registerModule("fc1", fc1)
            registerModule("fc2", fc2)
        }
        override func forward(_ x: Tensor) -> Tensor { add(direct(x), fc2(tanh(fc1(x)))) }
    }

    /// Points of the plane labelled by the sign of x·y (not linearly separable), 64 per batch.
    final class Quadrants: DataSource {
        var rng = RandomGenerator(seed: 5, stream: 99)
        var stepsPerEpoch: Int { 100 }
        var predictionsPerStep: Int { 64 }
        var description: String { "quadrants" }
        func count(of split: EvaluationSplit) -> Int { split == .validation ? 512 : 0 }
        func batch(_ n: Int, _ rng: inout RandomGenerator) -> TrainingBatch {
            var xs: [Float] = [], labels: [Int32] = []
            for _ in 0..<n {
                let (x, y) = (rng.nextUniform(-1, 1), rng.nextUniform(-1, 1))
                xs += [x, y]
                labels.append(x * y > 0 ? 1 : 0)
            }
            return TrainingBatch(inputs: Tensor(shape: [n, 2], values: xs), targets: labels)
        }
        func trainBatch(epoch: Int, index: Int) throws -> TrainingBatch { batch(64, &rng) }
        func forEachEvalBatch(split: EvaluationSplit, batchSize: Int, _ body: (TrainingBatch) throws -> Void) throws {
            var fixed = RandomGenerator(seed: 6, stream: 99)
            try body(batch(512, &fixed))
        }
    }

    @Test func aModelThatIsNotSequentialTrains() throws {
        var config = Config()
        config.optimizer = OptimizerConfig(name: .adam)
        config.optimizer.lr = 0.02
        var rng = RandomGenerator(seed: 1, stream: RandomGenerator.Stream.initialization)
        let model = TwoBranch(rng: &rng)
        let replica = try Replica(model: model, config: config, totalSteps: 300, comm: LocalCommunicator())
        #expect(replica.arena.entries.map(\.name) == ["direct.weight", "direct.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let data = Quadrants()
        let before = try replica.evaluate(.validation, on: data)
        for step in 0..<300 {
            let result = try replica.step(try data.trainBatch(epoch: 0, index: step), at: StepPosition(step: step, epoch: 0))
            #expect(result.loss.isFinite && result.predictions == 64 && !result.flags.nonFiniteLoss)
        }
        let after = try replica.evaluate(.validation, on: data)
        #expect(after.samples == 512)
        #expect(after.accuracy > 0.9 && after.loss < before.loss / 2,
                "the two-branch model learns the quadrants: accuracy \(before.accuracy) → \(after.accuracy), loss \(before.loss) → \(after.loss)")
    }
}
