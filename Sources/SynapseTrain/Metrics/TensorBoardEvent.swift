import Foundation

/// The `Event` protocol-buffer messages of a TensorBoard event file (tensorboard/compat/proto:
/// event.proto, summary.proto, tensor.proto), the few that `synapse train` writes:
///
///     Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5 }
///     Summary { repeated Value value = 1 }
///     Value   { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9 }
///     SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1 }; DataClass data_class = 4 }
///     TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8 }
///
/// Scalars are `simple_value`s (the scalars dashboard); a text summary is a scalar string
/// tensor whose metadata names the "text" plugin, which renders it as Markdown.
public enum TensorBoardEvent {
    /// The first event of every file.
    public static let fileVersion = "brain.Event:2"

    /// The file-version event that opens a file.
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufEncoder()
        event.double(field: 1, wallTime)
        event.string(field: 3, fileVersion)
        return event.bytes
    }

    /// One event holding several scalars at `step`.
    public static func scalars(_ values: [(tag: String, value: Float)], step: Int, wallTime: Double) -> [UInt8] {
        summary(step: step, wallTime: wallTime) { summary in
            for (tag, value) in values {
                summary.message(field: 1) { v in
                    v.string(field: 1, tag)
                    v.float(field: 2, value)
                }
            }
        }
    }

    /// A text summary (Markdown) under `tag` at `step`.
    public static func text(_ text: String, tag: String, step: Int, wallTime: Double) -> [UInt8] {
        summary(step: step, wallTime: wallTime) { summary in
            summary.message(field: 1) { v in
                v.string(field: 1, tag)
                v.message(field: 8) { tensor in
                    tensor.int32(field: 1, 7)             // DT_STRING
                    tensor.message(field: 2) { _ in }     // shape [] : a scalar
                    tensor.string(field: 8, text)
                }
                v.message(field: 9) { metadata in
                    metadata.message(field: 1) { $0.string(field: 1, "text") }
                    metadata.int32(field: 4, 2)           // DATA_CLASS_TENSOR
                }
            }
        }
    }

    private static func summary(step: Int, wallTime: Double, _ values: (inout ProtobufEncoder) -> Void) -> [UInt8] {
        var event = ProtobufEncoder()
        event.double(field: 1, wallTime)
        event.int64(field: 2, Int64(step))
        event.message(field: 5, values)
        return event.bytes
    }

    /// What `parse` reads back from an event.
    public struct Parsed: Equatable, Sendable {
        /// The event's step (0 when absent, as in the file-version event).
        public var step: Int
        /// The tags of its summary values, in order (none for the file-version event).
        public var tags: [String]
    }

    /// The step and summary tags of an encoded event, or nil when it is not a valid message.
    public static func parse(_ bytes: [UInt8]) -> Parsed? {
        guard let fields = try? ProtobufDecoder(bytes).fields() else { return nil }
        var parsed = Parsed(step: 0, tags: [])
        for (field, value) in fields {
            switch (field, value) {
            case (2, .varint(let step)): parsed.step = Int(truncatingIfNeeded: Int64(bitPattern: step))
            case (5, .bytes(let summary)):
                guard let values = try? ProtobufDecoder(summary).fields() else { return nil }
                for case (1, .bytes(let value)) in values {
                    guard let valueFields = try? ProtobufDecoder(value).fields() else { return nil }
                    for case (1, .bytes(let tag)) in valueFields { parsed.tags.append(String(decoding: tag, as: UTF8.self)) }
                }
            default: continue
            }
        }
        return parsed
    }
}
