import FuzzSupport
import SynapseData

/// The gzip reader alone (`Gzip.readFile`), with a fixed size limit like CIFAR-10's: members,
/// trailers, concatenation, trailing garbage, truncation. Errors are fine; crashes are not.
private let scratch = ScratchDirectory(name: "gzip")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let path = scratch.write("input.gz", data, size)
    let limit = 1 << 20
    let out = try? Gzip.readFile(atPath: path, limit: { _ in
        Gzip.SizeLimit(bytes: limit) { .inconsistentDataset(path: path, reason: "\($0) bytes") }
    })
    if let out { precondition(out.count <= max(limit, size)) }
    _ = try? Gzip.readFile(atPath: path)   // without a limit (the input size bounds the output)
    return 0
}
