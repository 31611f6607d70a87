import FuzzSupport
import Foundation
import SynapseTrain

/// safetensors files through `SafeTensorsFile(data:path:)` (header length, JSON header,
/// dtypes, shapes, offsets), then every tensor it accepts is read. Errors are fine; crashes
/// are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let bytes = Data(bytes: data, count: size)
    guard let file = try? SafeTensorsFile(data: bytes, path: "fuzz.safetensors") else { return 0 }
    for name in file.names {
        let values = try? file.floats(named: name)
        precondition(values?.count == file.info(named: name)?.count)
    }
    return 0
}
