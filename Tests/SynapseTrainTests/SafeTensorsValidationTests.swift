import Foundation
import Testing
@testable import SynapseTrain

/// Each malformed file must be rejected by the right check, with the path in the message.
@Suite struct SafeTensorsValidationTests {
    /// A file with the given header text (not padded) and `dataBytes` zero bytes of data.
    private func file(header: String, dataBytes: Int, headerLength: UInt64? = nil) -> Data {
        var data = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    private func expectRejected(_ data: Data, _ kind: SafeTensorsError.Kind, mentioning words: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let path = "runs/x/bad.safetensors"
        let error = #expect(throws: SafeTensorsError.self, sourceLocation: sourceLocation) {
            try SafeTensorsFile(data: data, path: path)
        }
        #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")", sourceLocation: sourceLocation)
        #expect(error?.description.hasPrefix(path + ": ") == true, sourceLocation: sourceLocation)
        for word in words {
            #expect(error?.description.contains(word) == true, "'\(word)' not in: \(error.map(String.init(describing:)) ?? "")",
                    sourceLocation: sourceLocation)
        }
    }

    private let one = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    @Test func acceptsTheBaseCase() throws {
        // The fixture used below is itself valid, so each rejection is due to its one change.
        let valid = try SafeTensorsFile(data: file(header: one, dataBytes: 8), path: "ok")
        #expect(try valid.floats(named: "a") == [0, 0])
        // An empty file (no tensors) is valid too.
        #expect(try SafeTensorsFile(data: file(header: "{}", dataBytes: 0), path: "ok").tensors.isEmpty)
    }

    @Test func rejectsBadHeaderLength() {
        expectRejected(Data([1, 2, 3, 4, 5]), .invalidHeaderLength, mentioning: ["5 bytes", "too short"])
        expectRejected(file(header: one, dataBytes: 8, headerLength: 0), .invalidHeaderLength, mentioning: ["is zero"])
        expectRejected(file(header: one, dataBytes: 8, headerLength: 1000), .invalidHeaderLength,
                       mentioning: ["1000", "larger than the \(one.utf8.count + 8) bytes"])
        expectRejected(file(header: one, dataBytes: 8, headerLength: UInt64.max), .invalidHeaderLength, mentioning: ["truncated"])
    }

    @Test func rejectsHeaderThatIsNotAJSONObject() {
        expectRejected(file(header: #"{"a": [1,"#, dataBytes: 0), .invalidHeader, mentioning: ["not a valid JSON object", "bytes 8..<"])
        expectRejected(file(header: "[1, 2]", dataBytes: 0), .invalidHeader, mentioning: ["not a valid JSON object"])
        expectRejected(file(header: #"{"a": 3}"#, dataBytes: 0), .invalidHeader, mentioning: ["'a'"])
        expectRejected(file(header: #"{"__metadata__": {"k": 1}}"#, dataBytes: 0), .invalidHeader, mentioning: ["'k'", "not a string"])
        expectRejected(file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8),
                       .invalidHeader, mentioning: ["shape"])
        expectRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, dataBytes: 8),
                       .invalidHeader, mentioning: ["data_offsets"])
        expectRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}}"#, dataBytes: 8),
                       .invalidHeader, mentioning: ["data_offsets"])
    }

    @Test func rejectsOtherDTypesByName() {
        expectRejected(file(header: #"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 8),
                       .unsupportedDType, mentioning: ["'w'", "F16", "only F32"])
        expectRejected(file(header: #"{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 8),
                       .unsupportedDType, mentioning: ["BF16"])
    }

    @Test func rejectsGapsOverlapsAndOutOfBoundsOffsets() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        expectRejected(file(header: gap, dataBytes: 12), .invalidOffsets, mentioning: ["'b'", "gap of 4 bytes", "after 'a'"])
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectRejected(file(header: overlap, dataBytes: 12), .invalidOffsets, mentioning: ["'b'", "overlaps"])
        let notAtStart = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectRejected(file(header: notAtStart, dataBytes: 8), .invalidOffsets, mentioning: ["start of the data section"])
        expectRejected(file(header: one, dataBytes: 4), .invalidOffsets, mentioning: ["beyond the data section", "truncated"])
        let backwards = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#
        expectRejected(file(header: backwards, dataBytes: 8), .invalidOffsets, mentioning: ["end before they begin"])
    }

    @Test func rejectsShapeThatDoesNotMatchByteLength() {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        expectRejected(file(header: header, dataBytes: 8), .shapeMismatch, mentioning: ["'a'", "[3]", "3 × 4 bytes", "span 8"])
    }

    @Test func rejectsTrailingBytes() {
        expectRejected(file(header: one, dataBytes: 11), .trailingBytes, mentioning: ["3 bytes after the last tensor"])
    }

    @Test func reportsMissingFile() {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: "/nonexistent/model.safetensors") }
        #expect(error?.kind == .unreadable)
        #expect(error?.description == "/nonexistent/model.safetensors: file does not exist")
    }
}
