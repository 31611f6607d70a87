import Foundation
import Testing
import SynapseCore
import SynapseTestSupport
@testable import SynapseTrain

/// A fresh empty directory under /tmp for one test; removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "synapse-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct SafeTensorsTests {
    @Test func encodesHandComputedBytes() throws {
        // One tensor "a" = [1, -2]: header JSON is 54 bytes, padded with two spaces to 56.
        let file = SafeTensors.encode([SafeTensorsEntry(name: "a", shape: [2], values: [1, -2])])
        let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(json.utf8.count == 54)
        var expected: [UInt8] = [56, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x20, 0x20]
        expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0f  = 0x3F800000, little-endian
        expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0f = 0xC0000000
        #expect([UInt8](file) == expected)
    }

    @Test func roundTripKeepsNamesShapesValuesOrderAndMetadata() throws {
        let dir = try ScratchDirectory("st-roundtrip")
        defer { dir.remove() }
        let weight: [Float] = (0..<6).map { Float($0) * 0.25 - 1 }
        let bias: [Float] = [.pi, -0.0, 1e-30, -3e38]
        let entries = [
            SafeTensorsEntry(name: "fc1.weight", shape: [2, 3], values: weight),
            SafeTensorsEntry(name: "fc1.bias", shape: [4], values: bias),
            SafeTensorsEntry(name: "scale", shape: [], values: [7.5]),
            SafeTensorsEntry(name: "empty", shape: [0, 3], values: []),
            SafeTensorsEntry(name: "odd \"name\"\n\u{1}é", shape: [1], values: [42]),
        ]
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t"]
        let path = dir.file("model.safetensors")
        try SafeTensors.write(entries, metadata: metadata, to: path)

        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0, "header must be padded so the data starts 8-aligned")

        let file = try SafeTensorsFile(contentsOf: path)
        #expect(file.metadata == metadata)
        #expect(file.names == entries.map(\.name), "tensors keep the writer's order")
        #expect(file.info(named: "fc1.weight")?.shape == [2, 3])
        #expect(file.info(named: "scale")?.shape == [])
        #expect(file.info(named: "empty")?.count == 0)
        #expect(try file.floats(named: "fc1.weight") == weight)
        #expect(try file.floats(named: "fc1.bias").map(\.bitPattern) == bias.map(\.bitPattern), "-0 and extremes survive bit-exactly")
        #expect(try file.floats(named: "scale") == [7.5])
        #expect(try file.floats(named: "empty") == [])
        #expect(try file.floats(named: "odd \"name\"\n\u{1}é") == [42])
        let error = #expect(throws: SafeTensorsError.self) { try file.floats(named: "fc2.weight") }
        #expect(error?.kind == .missingTensor)
        #expect(error?.description.contains("fc1.weight") == true, "lists what the file has")
    }

    @Test func writesFromBufferAndReadsIntoBuffer() throws {
        let values: [Float] = [3, 1, 4, 1, 5, 9]
        let data = values.withUnsafeBufferPointer { buffer in
            SafeTensors.encode([SafeTensorsEntry(name: "x", shape: [3, 2], buffer: buffer)])
        }
        let file = try SafeTensorsFile(data: data, path: "memory")
        var out = [Float](repeating: 0, count: 6)
        try out.withUnsafeMutableBufferPointer { try file.read(named: "x", into: $0) }
        #expect(out == values)
        var tooSmall = [Float](repeating: 0, count: 5)
        let error = #expect(throws: SafeTensorsError.self) {
            try tooSmall.withUnsafeMutableBufferPointer { try file.read(named: "x", into: $0) }
        }
        #expect(error?.kind == .shapeMismatch)
    }

    private func makeArena(_ scale: Float) -> ParameterArena {
        ParameterArena(parameters: [
            ("fc1.weight", Tensor(shape: [2, 2], values: [1, 2, 3, 4].map { $0 * scale })),
            ("fc1.bias", Tensor(shape: [2], values: [5, 6].map { $0 * scale })),
            ("fc2.weight", Tensor(shape: [1, 2], values: [7, 8].map { $0 * scale })),
        ])
    }

    @Test func arenaSavesAndLoadsByName() throws {
        let source = makeArena(1)
        let file = try SafeTensorsFile(data: SafeTensors.encode(SafeTensors.entries(of: source)), path: "model.safetensors")
        #expect(file.names == ["fc1.weight", "fc1.bias", "fc2.weight"])
        let target = makeArena(0)
        try file.read(into: target)
        #expect(Array(target.values) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(target.tensor(named: "fc2.weight")?.scalars == [7, 8], "tensors see the loaded arena")

        // An optimizer-state buffer with the arena's layout, under a prefix.
        let state: [Float] = (0..<8).map { Float($0) / 8 }
        let stateFile = try state.withUnsafeBufferPointer { buffer in
            try SafeTensorsFile(data: SafeTensors.encode(SafeTensors.entries(layout: source.entries, buffer: buffer, prefix: "exp_avg.")),
                                path: "optimizer.safetensors")
        }
        #expect(stateFile.names.first == "exp_avg.fc1.weight")
        var loaded = [Float](repeating: -1, count: 8)
        try loaded.withUnsafeMutableBufferPointer { try stateFile.read(layout: source.entries, into: $0, prefix: "exp_avg.") }
        #expect(loaded == state)
    }

    @Test func arenaLoadRejectsOtherModelsAndLeavesArenaUnchanged() throws {
        let target = makeArena(1)
        let before = Array(target.values)
        let other = ParameterArena(parameters: [
            ("fc1.weight", Tensor(shape: [2, 2], values: [0, 0, 0, 0])),
            ("fc1.bias", Tensor(shape: [3], values: [0, 0, 0])),  // wrong shape
            ("fc2.weight", Tensor(shape: [1, 2], values: [0, 0])),
        ])
        let wrongShape = try SafeTensorsFile(data: SafeTensors.encode(SafeTensors.entries(of: other)), path: "a.safetensors")
        let e1 = #expect(throws: SafeTensorsError.self) { try wrongShape.read(into: target) }
        #expect(e1?.kind == .shapeMismatch)
        #expect(e1?.description.contains("'fc1.bias' is [3] in the file but [2] in the model") == true)
        #expect(Array(target.values) == before, "nothing copied when any check fails")

        let missing = try SafeTensorsFile(data: SafeTensors.encode([SafeTensorsEntry(name: "fc1.weight", shape: [2, 2], values: [0, 0, 0, 0])]),
                                          path: "b.safetensors")
        let e2 = #expect(throws: SafeTensorsError.self) { try missing.read(into: target) }
        #expect(e2?.kind == .missingTensor)
        #expect(e2?.description.contains("'fc1.bias'") == true)

        var extra = SafeTensors.entries(of: makeArena(2))
        extra.append(SafeTensorsEntry(name: "fc3.weight", shape: [1], values: [0]))
        let unexpected = try SafeTensorsFile(data: SafeTensors.encode(extra), path: "c.safetensors")
        let e3 = #expect(throws: SafeTensorsError.self) { try unexpected.read(into: target) }
        #expect(e3?.kind == .unexpectedTensors)
        #expect(e3?.description.contains("fc3.weight") == true)
        #expect(Array(target.values) == before)
    }
}
