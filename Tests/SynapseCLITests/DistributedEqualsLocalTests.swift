import Foundation
import Testing

/// Distributed rules 1, 2, 3 and 5 together: with the same config (and so the same GLOBAL
/// batch), N ranks must compute the same training as one rank. Each rank takes 96/N samples of
/// every global batch and the gradients are averaged, so the only difference is the order in
/// which floats are summed (per-rank means, then the all-reduce): parameters after 20 steps
/// agree to ~1e-7 relative, and 1e-5 leaves room without hiding a real bug (a sum instead of a
/// mean, a rank training on the wrong shard, or unequal start weights move them by 1e-2 or more).
extension DistributedTests {
    @Test("N ranks reach the parameters of one rank", arguments: [2, 3, 4])
    func parametersEqualTheSingleRankRun(ranks: Int) throws {
        let scratch = try DistributedRun.scratchDirectory("equal-\(ranks)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let local = scratch.appendingPathComponent("local"), distributed = scratch.appendingPathComponent("np\(ranks)")
        // 20 steps = one epoch of the fixture: also exercises the sharded validation and test.
        // The moving average of the weights (which validation and test then score) must agree too,
        // and so must sharpness-aware minimization's second pass (its ascent uses the all-reduced
        // gradient, so every rank perturbs to the same weights).
        let arguments = ["train", DistributedTests.fixtureConfig, "--set", "train.max_steps=20", "--set", "train.ema_decay=0.8",
                         "--set", "train.sam_rho=0.05"]

        let alone = try DistributedJob(ranks: nil, arguments + ["--run-dir", local.path]).wait(timeout: 60)
        try #require(alone.status == 0, "single-rank run failed:\n\(alone.output)")
        let underMPI = try DistributedJob(ranks: ranks, arguments + ["--run-dir", distributed.path]).wait(timeout: 60)
        try #require(underMPI.status == 0, "\(ranks)-rank run exited \(underMPI.status):\n\(underMPI.output)")
        #expect(underMPI.output.contains("\(ranks) rank(s) × batch \(96 / ranks) = global batch 96"), "\(underMPI.output)")

        for file in ["model.safetensors", "ema.safetensors"] {
            let reference = try DistributedRun.finalParameters(local, file: file)
            let parameters = try DistributedRun.finalParameters(distributed, file: file)
            #expect(Set(parameters.keys) == Set(reference.keys))
            #expect(reference.count == 6, "fc1..fc3 weight and bias: \(reference.keys.sorted())")
            for (name, expected) in reference.sorted(by: { $0.key < $1.key }) {
                let got = try #require(parameters[name], "\(name) missing from the \(ranks)-rank checkpoint's \(file)")
                try #require(got.count == expected.count, "\(name): \(got.count) values vs \(expected.count)")
                let scale = expected.reduce(0) { max($0, abs($1)) }
                let difference = zip(got, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
                #expect(difference <= 1e-5 * scale,
                        "\(file) \(name): max |N=\(ranks) − N=1| = \(difference), max |N=1| = \(scale) (relative \(difference / scale))")
            }
        }

        // The same model scores the same on the (sharded) test split; and it did learn.
        let expectedTest = try #require(DistributedRun.testRow(local), "no test row:\n\(alone.output)")
        let gotTest = try #require(DistributedRun.testRow(distributed), "no test row:\n\(underMPI.output)")
        #expect(abs(gotTest.loss - expectedTest.loss) <= 1e-4 * expectedTest.loss, "test loss \(gotTest.loss) vs \(expectedTest.loss)")
        #expect(abs(gotTest.accuracy - expectedTest.accuracy) <= 1.0 / 480, "test accuracy \(gotTest.accuracy) vs \(expectedTest.accuracy)")
        #expect(expectedTest.accuracy > 0.5, "20 steps should reach > 50 % on Fashion-MNIST, got \(expectedTest.accuracy)")
    }
}
