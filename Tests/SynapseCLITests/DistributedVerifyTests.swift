import Foundation
import Testing

/// `synapse verify` under a real mpirun: it passes where N ranks equal one rank, and it can fail.
extension DistributedTests {
    @Test("verify: 2 ranks agree with one rank on the fixture; with tolerance 0 the rounding differences fail it")
    func verifyUnderMPI() throws {
        let pass = try DistributedJob(ranks: 2, ["verify", DistributedTests.fixtureConfig]).wait(timeout: 60)
        #expect(pass.status == 0, "\(pass.output)")
        #expect(pass.output.contains("verify       2 ranks against 1 rank, 5 steps"), "\(pass.output)")
        #expect(pass.output.contains("PASS: 2 ranks train the same model as 1 rank"), "\(pass.output)")
        // The largest relative difference is float rounding (measured 2.6e-7), far below 1e-5.
        let largest = pass.output.split(separator: "\n").first { $0.hasPrefix("largest") }
        let value = largest.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        let worst = try #require(value, "\(pass.output)")
        #expect(worst > 0 && worst < 1e-5, "\(pass.output)")

        // The all-reduce adds in another order than one rank's batch sum: not bit-identical,
        // so a zero tolerance must fail, on every rank with the same status, reported once.
        let strict = try DistributedJob(ranks: 2, ["verify", DistributedTests.fixtureConfig, "--tolerance", "0"]).wait(timeout: 60)
        #expect(strict.status == 1, "\(strict.output)")
        #expect(strict.output.contains("FAIL") && strict.output.contains("> tolerance"), "\(strict.output)")
        #expect(strict.output.components(separatedBy: "error: verify: 2 ranks and 1 rank differ").count == 2,
                "one error line:\n\(strict.output)")

        let bad = try DistributedJob(ranks: 2, ["verify", DistributedTests.fixtureConfig, "--set", "train.batch_size=95"]).wait(timeout: 60)
        #expect(bad.status == 2, "\(bad.output)")
        #expect(bad.output.contains("must divide evenly over 2 ranks"), "\(bad.output)")
    }
}
