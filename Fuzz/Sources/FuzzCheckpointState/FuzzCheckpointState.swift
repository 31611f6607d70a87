import FuzzSupport
import Foundation
import SynapseTrain

/// A checkpoint's `state.json` (`CheckpointState.decode`) and `progress.json`
/// (`TrainingProgress.decode`, which also checks the values), decoded from the same
/// bytes. Errors are fine; crashes are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let bytes = Data(bytes: data, count: size)
    if let state = try? CheckpointState.decode(json: bytes) {
        _ = try? state.jsonData()
    }
    if let progress = try? TrainingProgress.decode(json: bytes, source: "fuzz") {
        // What a resumed run computes from it first (TrainingLog): must not trap once accepted.
        if let open = progress.openInterval { _ = progress.step - Int(open[2].rounded()) }
        _ = try? JSONEncoder().encode(progress)
    }
    return 0
}
