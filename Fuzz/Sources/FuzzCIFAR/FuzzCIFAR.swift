import FuzzSupport
import SynapseData

/// CIFAR-10 binary batches through `CIFAR10.load`: the input is `test_batch.bin` (raw or
/// gzip-compressed). Errors are fine; crashes are not.
private let scratch = ScratchDirectory(name: "cifar")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    _ = scratch.write("test_batch.bin", data, size)
    if let dataset = try? CIFAR10.load(directory: scratch.path, split: .test) {
        precondition(dataset.count * 3 * 32 * 32 == dataset.images.count)
    }
    return 0
}
