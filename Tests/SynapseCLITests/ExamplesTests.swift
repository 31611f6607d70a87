import Foundation
import Testing
import SynapseTestSupport

/// The guide's chapters (Examples/) run and print what the text says they print.
@Suite struct ExamplesTests {
    @Test(.enabled(if: ProcessRunner.builtProduct(named: "SingleNeuron") != nil, "SingleNeuron is not built"))
    func singleNeuronComputesZByHandAndWithALayer() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "SingleNeuron")), [])
        #expect(result.status == 0, "\(result.report)")
        // z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = 1.0, by hand and through Linear(3 → 1).
        #expect(result.stdout.contains("z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = 1.0\n"), "\(result.report)")
        #expect(result.stdout.contains("Linear(3 → 1) gives z = 1.0\n"), "\(result.report)")
        #expect(result.stdout.contains("sigmoid(z) = 1 / (1 + e^−z)  = 0.7311"), "\(result.report)")
        #expect(result.stdout.contains("1 AND 1 = 1") && result.stdout.contains("0 OR 0 = 0"), "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
    }

    @Test(.enabled(if: ProcessRunner.builtProduct(named: "QuickStart") != nil, "QuickStart is not built"))
    func quickStartRunsToTheGradient() throws {
        let result = try ProcessRunner.run(try #require(ProcessRunner.builtProduct(named: "QuickStart")), [])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("Total: 2850 parameters"), "\(result.report)")
        #expect(result.stdout.contains("Gradient norm over all 2850 parameters"), "\(result.report)")
        // The printed loss is −log of the printed probability of label 1.
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let softmax = try #require(lines.first { $0.hasPrefix("softmax:") }, "\(result.report)")
        let probabilities = softmax.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
            .split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        try #require(probabilities.count == 2, "\(softmax)")
        let lossLine = try #require(lines.first { $0.hasPrefix("Cross-entropy loss for label 1:") }, "\(result.report)")
        let loss = try #require(Double(lossLine.split(separator: " ").last ?? ""), "\(lossLine)")
        #expect(abs(loss + log(probabilities[1])) < 1e-5, "\(lossLine) vs softmax \(probabilities)")
        #expect(abs(probabilities[0] + probabilities[1] - 1) < 1e-5)
        #expect(result.stderr.isEmpty, "\(result.report)")
    }
}
