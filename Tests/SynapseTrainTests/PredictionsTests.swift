import Foundation
import Testing
import SynapseCore
@testable import SynapseTrain

/// `synapse predict`'s pieces: the predictions agree with `evaluate`, the selections select
/// what they say, and the drawings map brightness to the documented characters.
@Suite struct PredictionsTests {
    @Test func drawingByHand() {
        // One channel, 2 rows × 3 columns: brightness · 10 / 256 indexes " .:-=+*#%@".
        let gray: [UInt8] = [0, 128, 255,
                             26, 51, 230]
        #expect(Predictions.drawing(of: gray[...], shape: [1, 2, 3]) == [" +@", "..%"])
        // Colour: the mean over channels, (255 + 0 + 0) / 3 = 85, and 85 · 10 / 256 = 3 → '-'.
        let red: [UInt8] = [255, 0, 0]
        #expect(Predictions.drawing(of: red[...], shape: [3, 1, 1]) == ["-"])
        // A slice that does not start at 0 (a sample inside the dataset's array).
        let two: [UInt8] = [0, 0, 255, 255]
        #expect(Predictions.drawing(of: two[2...], shape: [1, 1, 2]) == ["@@"])
    }

    @Test(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed"))
    func predictionsAgreeWithEvaluateAndSelectWhatTheySay() throws {
        let scratch = try ScratchDirectory("predict")
        let trainer = try TrainerFixture.trainer(try TrainerFixture.config(), in: scratch)
        _ = try trainer.run(resumeFrom: nil)
        let model = TrainedModel(of: trainer)
        let all = try Predictions.predict(model, split: .test, selection: .first(10_000), top: 10)
        #expect(all.count == trainer.data.testCount && all.map(\.position) == Array(0..<trainer.data.testCount))
        // The fraction predicted correctly is the accuracy `evaluate` reports (another code path).
        let accuracy = Double(all.filter(\.isCorrect).count) / Double(all.count)
        #expect(abs(accuracy - (try trainer.evaluate(split: .test)).accuracy) < 1e-12)
        for p in all {
            let probabilities = p.top.map(\.probability)
            #expect(probabilities == probabilities.sorted(by: >) && Set(p.top.map(\.class)).count == 10)
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
            #expect(p.label == Int(trainer.data.rawSample(.test, position: p.position).label))
        }
        // The misclassified selection is the wrong ones among all, in order; positions pick those.
        let wrong = try Predictions.predict(model, split: .test, selection: .misclassified(4), top: 3)
        #expect(wrong.map(\.position) == Array(all.filter { !$0.isCorrect }.prefix(4).map(\.position)))
        #expect(wrong.allSatisfy { !$0.isCorrect } && wrong.allSatisfy { $0.top.count == 3 })
        let picked = try Predictions.predict(model, split: .test, selection: .positions([7, 3]), top: 2)
        #expect(picked.map(\.position) == [3, 7])
        #expect(picked.map(\.top.first!.class) == [all[3].top[0].class, all[7].top[0].class])
        #expect(throws: UserError.self) {
            try Predictions.predict(model, split: .test, selection: .positions([trainer.data.testCount]), top: 3)
        }
        #expect(throws: UserError.self) { try Predictions.predict(model, split: .validation, selection: .first(0), top: 3) }
        #expect(throws: UserError.self) { try Predictions.predict(model, split: .test, selection: .first(3), top: 0) }
    }
}
