import Foundation
import SynapseCore

/// One named Float32 tensor to be written to a safetensors file.
///
/// The values come either from an array or from a buffer the caller owns (for example a slice
/// of the `ParameterArena`, so saving a model copies each float once, straight into the file
/// image). A buffer must stay valid until `SafeTensors.encode`/`write` returns.
public struct SafeTensorsEntry {
    /// Tensor name, e.g. `fc1.weight`.
    public let name: String
    /// Shape; the product of the dimensions is the number of values (`[]` is a scalar).
    public let shape: [Int]
    fileprivate let values: Values

    fileprivate enum Values {
        case array([Float])
        case buffer(UnsafeBufferPointer<Float>)
    }

    /// A tensor whose values are the array `values` (row-major).
    public init(name: String, shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "SafeTensorsEntry '\(name)': shape \(shape) does not hold \(values.count) values")
        self.name = name
        self.shape = shape
        self.values = .array(values)
    }

    /// A tensor whose values are read from `buffer` (row-major) when the file is encoded.
    public init(name: String, shape: [Int], buffer: UnsafeBufferPointer<Float>) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == buffer.count,
                     "SafeTensorsEntry '\(name)': shape \(shape) does not hold \(buffer.count) values")
        self.name = name
        self.shape = shape
        self.values = .buffer(buffer)
    }

    /// Number of values.
    public var count: Int { shape.reduce(1, *) }

    fileprivate func withValues<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        switch values {
        case .array(let a): return a.withUnsafeBufferPointer(body)
        case .buffer(let b): return body(b)
        }
    }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header, then the raw
/// little-endian tensor data. Files written here load with `safetensors.numpy.load_file`,
/// PyTorch (`safetensors.torch.load_file`) and Hugging Face tools.
///
/// Layout written (as the reference implementation does): header
/// `{"__metadata__":{...},"NAME":{"dtype":"F32","shape":[...],"data_offsets":[BEGIN,END]},...}`
/// padded with spaces so that 8 + header length is a multiple of 8, which keeps every float
/// aligned; offsets are relative to the start of the data section. Unlike the reference
/// writer, which sorts tensors by dtype and name, tensors are stored in the caller's order
/// (the model's parameter order); readers do not depend on the order.
///
/// Reference: https://github.com/huggingface/safetensors (format description in README).
public enum SafeTensors {
    /// Largest header the reference implementation accepts (100 MB); larger is a corrupt length.
    public static let maximumHeaderLength = 100_000_000

    /// The complete file image for `tensors` (in this order) and string `metadata`.
    /// Metadata is omitted from the header when empty.
    public static func encode(_ tensors: [SafeTensorsEntry], metadata: [String: String] = [:]) -> Data {
        var seen = Set<String>()
        for t in tensors {
            precondition(t.name != "__metadata__", "SafeTensors: '__metadata__' is reserved and cannot name a tensor")
            precondition(seen.insert(t.name).inserted, "SafeTensors: duplicate tensor name '\(t.name)'")
        }
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let end = offset + t.count * MemoryLayout<Float>.size
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes += Array(repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

        var file = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(contentsOf: headerBytes)
        for t in tensors {
            t.withValues { values in appendLittleEndian(values, to: &file) }
        }
        return file
    }

    /// Encodes `tensors` and `metadata` and writes them to `path` atomically (see `AtomicFile`).
    public static func write(_ tensors: [SafeTensorsEntry], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path)
    }

    /// Entries for the parameters in `layout` whose values live in `buffer` (the arena's
    /// `values`, or an optimizer state buffer with the same layout), named `prefix + name`.
    public static func entries(layout: [ParameterArena.Entry], buffer: UnsafeBufferPointer<Float>,
                               prefix: String = "") -> [SafeTensorsEntry] {
        layout.map { e in
            precondition(e.offset + e.count <= buffer.count, "SafeTensors.entries: '\(e.name)' lies outside the buffer")
            return SafeTensorsEntry(name: prefix + e.name, shape: e.shape,
                                    buffer: UnsafeBufferPointer(rebasing: buffer[e.offset..<(e.offset + e.count)]))
        }
    }

    /// Entries for every parameter of `arena`, by name (the model's `state_dict`).
    public static func entries(of arena: ParameterArena) -> [SafeTensorsEntry] {
        entries(layout: arena.entries, buffer: UnsafeBufferPointer(arena.values))
    }

    private static func appendLittleEndian(_ values: UnsafeBufferPointer<Float>, to file: inout Data) {
        #if _endian(little)
        if !values.isEmpty { file.append(values) }  // appends the floats' raw bytes
        #else
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { file.append(contentsOf: $0) } }
        #endif
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
