import Foundation
import Testing
import SynapseTestSupport

/// `synapse predict` on the short run's checkpoint, and its refusals.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIPredictTests {
    @Test func showsTopClassesAndDrawsTheImages() throws {
        let run = try ShortRun.finished()
        let result = try SynapseCLI.run(["predict", run.directory, "--first", "3"])
        try #require(result.status == 0, "\(result.report)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headers = lines.filter { $0.hasPrefix("test #") }
        #expect(headers.count == 3, "\(result.report)")
        // Fashion-MNIST test image 0 is an ankle boot, image 1 a pullover (the dataset's order).
        #expect(headers.first?.hasPrefix("test #0: label Ankle boot — predicted ") == true, "\(result.report)")
        #expect(headers.dropFirst().first?.hasPrefix("test #1: label Pullover — predicted ") == true, "\(result.report)")
        #expect(headers.allSatisfy { $0.hasSuffix("✓") || $0.hasSuffix("✗") })
        // Each image: 28 lines of 4 spaces + 28 characters.
        #expect(lines.filter { $0.hasPrefix("    ") && $0.count == 32 }.count == 3 * 28, "\(result.report)")
        #expect(result.stdout.contains("3 samples, "), "\(result.report)")

        let wrong = try SynapseCLI.run(["predict", run.directory, "--misclassified", "2", "--no-images", "--top", "2"])
        try #require(wrong.status == 0, "\(wrong.report)")
        let wrongHeaders = wrong.stdout.split(separator: "\n").filter { $0.hasPrefix("test #") }
        #expect(wrongHeaders.count == 2 && wrongHeaders.allSatisfy { $0.hasSuffix("✗") }, "\(wrong.report)")
        #expect(wrongHeaders.allSatisfy { $0.components(separatedBy: " %").count - 1 == 2 }, "top 2: \(wrong.report)")
    }

    @Test func refusalsExitTwo() throws {
        let run = try ShortRun.finished()
        let cases: [([String], String)] = [
            (["predict", run.directory, "--samples", "2000"], "outside the test split, which has samples 0…1999"),
            (["predict", run.directory, "--first", "2", "--misclassified", "2"], "choose samples one way"),
            (["predict", run.directory, "--split", "dev"], "unknown split"),
            (["predict", run.directory + "/nowhere"], "does not exist"),
        ]
        for (arguments, message) in cases {
            let result = try SynapseCLI.run(arguments)
            #expect(result.status == 2, "\(result.report)")
            #expect(result.stderr.contains(message), "\(result.report)")
        }
    }
}
