import Foundation

/// The ONNX protocol-buffer messages `synapse export --onnx` writes, each a small value with
/// an `encode(into:)` that writes its fields through `ProtobufEncoder`. Field numbers are those
/// of onnx/onnx.proto (proto2; repeated numbers are written unpacked, the canonical form):
///
///     ModelProto         { int64 ir_version = 1; string producer_name = 2; string producer_version = 3;
///                          string doc_string = 6; GraphProto graph = 7;
///                          repeated OperatorSetIdProto opset_import = 8;
///                          repeated StringStringEntryProto metadata_props = 14 }
///     OperatorSetIdProto { string domain = 1; int64 version = 2 }
///     StringStringEntryProto { string key = 1; string value = 2 }
///     GraphProto         { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
///                          string doc_string = 10; repeated ValueInfoProto input = 11, output = 12 }
///     NodeProto          { repeated string input = 1, output = 2; string name = 3; string op_type = 4;
///                          repeated AttributeProto attribute = 5 }
///     AttributeProto     { string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
///                          repeated float floats = 7; repeated int64 ints = 8; AttributeType type = 20 }
///     TensorProto        { repeated int64 dims = 1; int32 data_type = 2; string name = 8; bytes raw_data = 9 }
///     ValueInfoProto     { string name = 1; TypeProto type = 2 }
///     TypeProto          { Tensor tensor_type = 1 { int32 elem_type = 1; TensorShapeProto shape = 2 } }
///     TensorShapeProto   { repeated Dimension dim = 1 { int64 dim_value = 1 | string dim_param = 2 } }
public enum ONNX {
    /// The IR version written: 8, the one that goes with opset 17 (ONNX 1.12).
    public static let irVersion: Int64 = 8
    /// The operator set of the default domain every exported graph uses.
    public static let opsetVersion: Int64 = 17

    /// `TensorProto.DataType` values used here.
    enum DataType: Int32, Sendable {
        case float = 1
        case int64 = 7
    }

    /// A constant tensor (an initializer or a `Constant`'s value), its numbers in `raw_data`
    /// as little-endian bytes.
    struct Tensor: Sendable {
        var name: String
        var dims: [Int]
        var dataType: DataType
        /// Little-endian element bytes, row-major.
        var raw: [UInt8]

        /// A float32 tensor of `shape` holding `values` (row-major).
        init(name: String, shape: [Int], floats values: [Float]) {
            self.init(name: name, shape: shape, dataType: .float, values.map(\.bitPattern))
        }

        /// An int64 tensor of `shape` holding `values`.
        init(name: String, shape: [Int], int64s values: [Int64]) {
            self.init(name: name, shape: shape, dataType: .int64, values)
        }

        private init<Bits: FixedWidthInteger>(name: String, shape: [Int], dataType: DataType, _ values: [Bits]) {
            precondition(values.count == shape.reduce(1, *), "ONNX.Tensor \(name): \(values.count) values for shape \(shape)")
            self.name = name
            dims = shape
            self.dataType = dataType
            raw = []
            raw.reserveCapacity(MemoryLayout<Bits>.size * values.count)
            for v in values { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
        }

        func encode(into e: inout ProtobufEncoder) {
            for d in dims { e.int64(field: 1, Int64(d)) }
            e.int32(field: 2, dataType.rawValue)
            e.string(field: 8, name)
            e.bytes(field: 9, raw)
        }
    }

    /// A node attribute: exactly one value, and its type.
    struct Attribute: Sendable {
        enum Value: Sendable {
            case int(Int)
            case float(Float)
            case ints([Int])
            case string(String)
            case tensor(Tensor)
        }
        var name: String
        var value: Value

        init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }

        func encode(into e: inout ProtobufEncoder) {
            e.string(field: 1, name)
            switch value {   // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, INTS 7
            case .float(let f): e.float(field: 2, f); e.int32(field: 20, 1)
            case .int(let i): e.int64(field: 3, Int64(i)); e.int32(field: 20, 2)
            case .string(let s): e.string(field: 4, s); e.int32(field: 20, 3)
            case .tensor(let t): e.message(field: 5) { t.encode(into: &$0) }; e.int32(field: 20, 4)
            case .ints(let list):
                for i in list { e.int64(field: 8, Int64(i)) }
                e.int32(field: 20, 7)
            }
        }
    }

    /// One operator application; an empty input name is an omitted optional input.
    struct Node: Sendable {
        var opType: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [Attribute]

        func encode(into e: inout ProtobufEncoder) {
            for i in inputs { e.string(field: 1, i) }
            for o in outputs { e.string(field: 2, o) }
            e.string(field: 3, name)
            e.string(field: 4, opType)
            for a in attributes { e.message(field: 5) { a.encode(into: &$0) } }
        }
    }

    /// One dimension of a graph input's or output's shape.
    enum Dimension: Sendable, Equatable {
        /// A fixed size.
        case fixed(Int)
        /// A size chosen by the caller at run time, named (`batch`, `sequence`).
        case symbolic(String)
    }

    /// A graph input or output: its name, element type and shape.
    struct ValueInfo: Sendable {
        var name: String
        var elementType: DataType
        var shape: [Dimension]

        func encode(into e: inout ProtobufEncoder) {
            e.string(field: 1, name)
            e.message(field: 2) { type in
                type.message(field: 1) { tensor in
                    tensor.int32(field: 1, elementType.rawValue)
                    tensor.message(field: 2) { shapeMessage in
                        for d in shape {
                            shapeMessage.message(field: 1) { dim in
                                switch d {
                                case .fixed(let n): dim.int64(field: 1, Int64(n))
                                case .symbolic(let name): dim.string(field: 2, name)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The computation: nodes in topological order, the weights, the inputs and outputs.
    struct Graph: Sendable {
        var name: String
        var docString: String
        var nodes: [Node]
        var initializers: [Tensor]
        var inputs: [ValueInfo]
        var outputs: [ValueInfo]

        func encode(into e: inout ProtobufEncoder) {
            for n in nodes { e.message(field: 1) { n.encode(into: &$0) } }
            e.string(field: 2, name)
            for t in initializers { e.message(field: 5) { t.encode(into: &$0) } }
            if !docString.isEmpty { e.string(field: 10, docString) }
            for i in inputs { e.message(field: 11) { i.encode(into: &$0) } }
            for o in outputs { e.message(field: 12) { o.encode(into: &$0) } }
        }
    }

    /// A whole `.onnx` file.
    struct Model: Sendable {
        var graph: Graph
        var docString: String
        /// Key/value pairs a runtime exposes as the model's custom metadata (onnxruntime's
        /// `get_modelmeta().custom_metadata_map`), in order.
        var metadata: [(key: String, value: String)]

        /// The file's bytes.
        func serialized() -> [UInt8] {
            var e = ProtobufEncoder()
            e.int64(field: 1, irVersion)
            e.string(field: 2, "synapse")
            e.string(field: 3, SynapseVersion.current)
            if !docString.isEmpty { e.string(field: 6, docString) }
            e.message(field: 7) { graph.encode(into: &$0) }
            e.message(field: 8) { $0.int64(field: 2, opsetVersion) }   // the default domain "" is left unwritten
            for (key, value) in metadata {
                e.message(field: 14) { entry in
                    entry.string(field: 1, key)
                    entry.string(field: 2, value)
                }
            }
            return e.bytes
        }
    }
}
