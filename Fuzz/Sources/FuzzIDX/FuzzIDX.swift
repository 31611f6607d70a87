import FuzzSupport
import SynapseData

/// IDX files (MNIST-style), raw or gzip-compressed, through `IDXArray(contentsOfFile:)`: the
/// header check, the size limit derived from the header, and decompression that stops at it.
/// A thrown `DataError` is the expected outcome for bad bytes; only a crash is a finding.
private let scratch = ScratchDirectory(name: "idx")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let path = scratch.write("input-idx1-ubyte", data, size)
    if let array = try? IDXArray(contentsOfFile: path) {
        // A parsed array must be self-consistent and round-trip through the encoder.
        precondition(array.shape.reduce(1, *) == array.bytes.count)
        precondition((try? IDXArray(parsing: array.encoded(), source: path)) == array)
    }
    return 0
}
