import Foundation
import SynapseCore

/// A safetensors file, read into memory and fully validated, whose tensors can be copied out
/// by name (to `[Float]`, to a buffer, or straight into a `ParameterArena`).
///
/// Validation (each failure is a `SafeTensorsError` naming the path and, where it helps, the
/// byte offset): the 8-byte header length is non-zero, at most 100 MB and inside the file; the
/// header is a JSON object; `__metadata__`, if present, maps strings to strings; every tensor
/// has dtype F32 (others are named in the error), a shape of non-negative integers and two
/// integer data offsets; sorted by offset, the tensors tile the data section exactly (no gap,
/// no overlap, nothing out of bounds, no trailing bytes); and shape product × 4 equals each
/// tensor's byte length. These are the reference implementation's checks.
public struct SafeTensorsFile: Sendable {
    /// Where one tensor lies in the file.
    public struct TensorInfo: Sendable, Equatable {
        /// Tensor name.
        public let name: String
        /// Shape (`[]` for a scalar).
        public let shape: [Int]
        /// Byte range relative to the start of the data section (the header's `data_offsets`).
        public let dataOffsets: Range<Int>
        /// Number of Float32 values.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The file's path (or the label given for in-memory data); every error starts with it.
    public let path: String
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// All tensors, in the order their data appears in the file.
    public let tensors: [TensorInfo]

    private let bytes: Data
    private let dataStart: Int
    private let indexByName: [String: Int]

    /// Reads and validates the file at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (\(error.localizedDescription))" : "does not exist"
            throw SafeTensorsError(.unreadable, path: path, "file \(reason)")
        }
        try self.init(data: data, path: path)
    }

    /// Validates `data` as a safetensors file; `path` labels it in errors.
    public init(data: Data, path: String) throws {
        self.path = path
        bytes = data
        func fail(_ kind: SafeTensorsError.Kind, _ message: String) -> SafeTensorsError {
            SafeTensorsError(kind, path: path, message)
        }

        // 1. Header length: 8 bytes, little-endian, pointing inside the file.
        guard data.count >= 8 else {
            throw fail(.invalidHeaderLength, "file is \(data.count) bytes, too short for the 8-byte header length; it is not a safetensors file or it was truncated")
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let bytesAfterLength = UInt64(data.count - 8)
        if headerLength == 0 || headerLength > UInt64(SafeTensors.maximumHeaderLength) || headerLength > bytesAfterLength {
            let problem = headerLength == 0 ? "is zero"
                : headerLength > bytesAfterLength ? "is larger than the \(bytesAfterLength) bytes that follow it"
                : "exceeds the \(SafeTensors.maximumHeaderLength)-byte limit"
            throw fail(.invalidHeaderLength, "header length \(headerLength) (bytes 0..<8) \(problem); the file is truncated or is not a safetensors file")
        }
        dataStart = 8 + Int(headerLength)

        // 2. Header: a JSON object.
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        let json = headerData.first == UInt8(ascii: "{") ? try? JSONSerialization.jsonObject(with: headerData) : nil
        guard let header = json as? [String: Any] else {
            throw fail(.invalidHeader, "header (bytes 8..<\(dataStart)) is not a valid JSON object")
        }

        // 3. Metadata and tensor descriptions.
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let dictionary = raw as? [String: Any] else {
                throw fail(.invalidHeader, "'__metadata__' in the header is not an object of strings")
            }
            for (key, value) in dictionary {
                guard let text = value as? String else {
                    throw fail(.invalidHeader, "'__metadata__' value for '\(key)' is not a string")
                }
                metadata[key] = text
            }
        }
        self.metadata = metadata
        var infos: [TensorInfo] = []
        for (name, raw) in header where name != "__metadata__" {
            infos.append(try Self.tensorInfo(name: name, raw, fail: fail))
        }

        // 4. The tensors must tile the data section exactly.
        infos.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        let dataLength = data.count - dataStart
        var expectedBegin = 0
        var previous: String?
        for info in infos {
            let r = info.dataOffsets
            guard r.lowerBound == expectedBegin else {
                let after = previous.map { "after '\($0)', which ends at \(expectedBegin)" } ?? "at the start of the data section"
                let problem = r.lowerBound < expectedBegin ? "overlaps the tensor before it" : "leaves a gap of \(r.lowerBound - expectedBegin) bytes"
                throw fail(.invalidOffsets, "tensor '\(info.name)' data_offsets [\(r.lowerBound), \(r.upperBound)] \(problem) (\(after))")
            }
            guard r.upperBound <= dataLength else {
                throw fail(.invalidOffsets, "tensor '\(info.name)' data_offsets [\(r.lowerBound), \(r.upperBound)] end beyond the data section (\(dataLength) bytes, file offset \(dataStart)); the file is truncated")
            }
            expectedBegin = r.upperBound
            previous = info.name
        }
        guard expectedBegin == dataLength else {
            throw fail(.trailingBytes, "\(dataLength - expectedBegin) bytes after the last tensor's data (file offsets \(dataStart + expectedBegin)..<\(data.count)); the file is damaged or was appended to")
        }
        tensors = infos
        indexByName = Dictionary(uniqueKeysWithValues: infos.enumerated().map { ($1.name, $0) })
    }

    /// Parses one header entry `{"dtype": "F32", "shape": [...], "data_offsets": [b, e]}`.
    private static func tensorInfo(name: String, _ raw: Any,
                                   fail: (SafeTensorsError.Kind, String) -> SafeTensorsError) throws -> TensorInfo {
        guard let entry = raw as? [String: Any] else {
            throw fail(.invalidHeader, "header entry '\(name)' is not an object with dtype, shape and data_offsets")
        }
        guard let dtype = entry["dtype"] as? String else {
            throw fail(.invalidHeader, "tensor '\(name)' has no string 'dtype'")
        }
        guard dtype == "F32" else {
            throw fail(.unsupportedDType, "tensor '\(name)' has dtype \(dtype); Synapse reads only F32 (convert it, e.g. numpy `a.astype(np.float32)`, and save again)")
        }
        guard let shape = nonNegativeIntegers(entry["shape"]) else {
            throw fail(.invalidHeader, "tensor '\(name)' shape is not a list of non-negative integers")
        }
        guard let offsets = nonNegativeIntegers(entry["data_offsets"]), offsets.count == 2 else {
            throw fail(.invalidHeader, "tensor '\(name)' data_offsets is not a pair of non-negative integers")
        }
        guard offsets[0] <= offsets[1] else {
            throw fail(.invalidOffsets, "tensor '\(name)' data_offsets [\(offsets[0]), \(offsets[1])] end before they begin")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail(.shapeMismatch, "tensor '\(name)' shape \(shape) is too large") }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        guard !overflow, byteCount == offsets[1] - offsets[0] else {
            throw fail(.shapeMismatch, "tensor '\(name)' shape \(shape) needs \(elements) × 4 bytes but data_offsets [\(offsets[0]), \(offsets[1])] span \(offsets[1] - offsets[0])")
        }
        return TensorInfo(name: name, shape: shape, dataOffsets: offsets[0]..<offsets[1])
    }

    /// `raw` as an array of non-negative integers (JSON numbers without a fraction), or nil.
    private static func nonNegativeIntegers(_ raw: Any?) -> [Int]? {
        guard let array = raw as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            guard let int = element as? Int, int >= 0 else { return nil }
            result.append(int)
        }
        return result
    }

    // MARK: - Reading values

    /// Tensor names in file order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, if present.
    public func info(named name: String) -> TensorInfo? {
        indexByName[name].map { tensors[$0] }
    }

    /// The values of tensor `name` (row-major).
    public func floats(named name: String) throws -> [Float] {
        let info = try require(name)
        return [Float](unsafeUninitializedCapacity: info.count) { buffer, initialized in
            copy(info, into: buffer)
            initialized = info.count
        }
    }

    /// Copies tensor `name` into `destination`, which must hold exactly its number of values.
    public func read(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try require(name)
        guard info.count == destination.count else {
            throw SafeTensorsError(.shapeMismatch, path: path, "tensor '\(name)' has shape \(info.shape) (\(info.count) values) but the destination holds \(destination.count)")
        }
        copy(info, into: destination)
    }

    private func require(_ name: String) throws -> TensorInfo {
        guard let info = info(named: name) else {
            throw SafeTensorsError(.missingTensor, path: path, "no tensor named '\(name)' (the file has \(SafeTensorsFile.list(names)))")
        }
        return info
    }

    /// Copies the little-endian floats of `info` into `destination` (same count).
    func copy(_ info: TensorInfo, into destination: UnsafeMutableBufferPointer<Float>) {
        guard info.count > 0 else { return }
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let source = raw.baseAddress! + dataStart + info.dataOffsets.lowerBound
            #if _endian(little)
            UnsafeMutableRawPointer(destination.baseAddress!).copyMemory(from: source, byteCount: info.count * 4)
            #else
            for i in 0..<info.count {
                destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        }
    }

    /// Up to eight names, quoted, for error messages.
    static func list(_ names: [String]) -> String {
        if names.isEmpty { return "no tensors" }
        let shown = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > 8 ? "\(shown), … (\(names.count) in all)" : shown
    }
}
