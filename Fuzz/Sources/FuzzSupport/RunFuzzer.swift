#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@_exported import CFuzzerDriver

/// Runs libFuzzer on `testOneInput` with this process's arguments (libFuzzer flags and corpus
/// directories) and exits with its status.
///
/// SwiftPM gives every executable target its own `main`, so libFuzzer's `main` is not used;
/// each target's main.swift calls this instead, which is what libFuzzer's `main` does.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
