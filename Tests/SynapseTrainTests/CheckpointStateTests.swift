import Foundation
import Testing
@testable import SynapseTrain

@Suite struct CheckpointStateTests {
    static func sampleState(step: Int = 100) -> CheckpointState {
        CheckpointState(step: step, epoch: 3, batchInEpoch: 17, worldSize: 2,
                        configHash: 0xFFFF_FFFF_FFFF_FFFF, seed: 18_446_744_073_709_551_557,
                        rngStates: ["dropout": [0x9E37_79B9_7F4A_7C15, 1, 0, UInt64.max],
                                    "data_order": [(1 << 53) + 1, 2, 3, 4]],
                        metrics: ["best_val_loss": 0.123456789012345, "best_val_accuracy": 0.91, "worst": .infinity],
                        createdAt: Date(timeIntervalSince1970: 1_700_000_000.75), synapseVersion: "0.1.0")
    }

    @Test func roundTripsUInt64sAboveDoublePrecision() throws {
        var state = Self.sampleState()
        state.files = ["model.safetensors": .init(bytes: 4096, crc32: 0xCBF4_3926)]
        let decoded = try CheckpointState.decode(json: state.jsonData())
        #expect(decoded == state)
        #expect(decoded.rngStates["data_order"]?[0] == (1 << 53) + 1, "2^53 + 1 is not representable as a JSON double")
        #expect(decoded.createdAt == Date(timeIntervalSince1970: 1_700_000_000), "stored to the second")
        #expect(decoded.metrics["worst"] == .infinity)
    }

    @Test func jsonUsesStringsForWideIntegersAndSnakeCaseKeys() throws {
        var state = Self.sampleState()
        state.files = ["model.safetensors": .init(bytes: 4096, crc32: 0x0000_BEEF)]
        let json = try #require(try JSONSerialization.jsonObject(with: state.jsonData()) as? [String: Any])
        #expect(json["config_hash"] as? String == "ffffffffffffffff")
        #expect(json["seed"] as? String == "18446744073709551557")
        #expect((json["rng_states"] as? [String: [String]])?["dropout"] == ["9e3779b97f4a7c15", "0000000000000001", "0000000000000000", "ffffffffffffffff"])
        #expect(json["batch_in_epoch"] as? Int == 17)
        #expect(json["format_version"] as? Int == CheckpointState.currentFormatVersion)
        #expect(json["created_at"] as? String == "2023-11-14T22:13:20Z")
        let file = (json["files"] as? [String: [String: Any]])?["model.safetensors"]
        #expect(file?["crc32"] as? String == "0000beef")
        #expect(file?["bytes"] as? Int == 4096)
        #expect((json["metrics"] as? [String: Any])?["worst"] as? String == "inf")
    }

    @Test func rejectsMalformedHexWithTheKey() throws {
        let good = String(decoding: try Self.sampleState().jsonData(), as: UTF8.self)
        let bad = good.replacingOccurrences(of: "\"ffffffffffffffff\"", with: "\"not-hex\"")
        #expect(bad != good)
        #expect(throws: DecodingError.self) { try CheckpointState.decode(json: Data(bad.utf8)) }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        // The CRC-32 check value from the standard (and from Python's zlib.crc32(b"123456789")).
        #expect(CRC32.checksum(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Data()) == 0)
    }
}
