import FuzzSupport
import Foundation
import SynapseTrain

/// A checkpoint's `state.json` (`CheckpointState.decode`) and `progress.json`
/// (`TrainingProgress`), decoded from the same bytes. Errors are fine; crashes are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let bytes = Data(bytes: data, count: size)
    if let state = try? CheckpointState.decode(json: bytes) {
        _ = try? state.jsonData()
    }
    if let progress = try? JSONDecoder().decode(TrainingProgress.self, from: bytes) {
        _ = try? JSONEncoder().encode(progress)
    }
    return 0
}
