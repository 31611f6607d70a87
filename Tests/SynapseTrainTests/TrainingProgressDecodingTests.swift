import Foundation
import Testing
@testable import SynapseTrain

/// `progress.json` is checked when a checkpoint is resumed: values a resumed run would trap
/// on (found while writing the checkpoint fuzz target, Fuzz/FuzzCheckpointState: `TrainingLog`
/// reads `openInterval[2]` and converts it to `Int`) are a `CheckpointError` that names the
/// field, not a crash.
@Suite struct TrainingProgressDecodingTests {
    private func decode(_ json: String) throws -> TrainingProgress {
        try TrainingProgress.decode(json: Data(json.utf8), source: "run/ckpt")
    }

    @Test func aSavedProgressRoundTrips() throws {
        var p = TrainingProgress()
        p.step = 120; p.epoch = 2; p.batchInEpoch = 7; p.openInterval = [12, 40, 64, 0.5]
        #expect(try decode(String(decoding: JSONEncoder().encode(p), as: UTF8.self)) == p)
    }

    @Test func valuesAResumedRunWouldTrapOnAreRefused() throws {
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingProgress())) as! [String: Any]
        func with(_ key: String, _ value: String) throws -> String {
            var object = base
            object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let cases: [(String, String, String)] = [
            ("openInterval", "[1]", "openInterval has 1 values, not 4"),     // open[2] was read
            ("openInterval", "[1,2,1e300,4]", "openInterval is 1e+300"),    // Int(1e300) traps
            ("batchInEpoch", "-3", "batchInEpoch is -3"),
            ("step", "-1", "step is -1"),
            ("trainSeconds", "-0.5", "trainSeconds is -0.5"),
        ]
        for (key, value, expected) in cases {
            let json = try with(key, value)
            let error = #expect(throws: CheckpointError.self) { _ = try decode(json) }
            #expect(error?.kind == .invalidState)
            #expect(error?.description.contains(expected) == true, "\(key)=\(value): \(String(describing: error))")
            #expect(error?.description.contains("run/ckpt") == true)
        }
        let garbage = #expect(throws: CheckpointError.self) { _ = try decode("{\"step\": \"x\"}") }
        #expect(garbage?.kind == .invalidState)
    }
}
