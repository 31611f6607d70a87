import FuzzSupport
import SynapseTrain

/// The config loader: the input is YAML text, optionally followed by a NUL byte and `--set`
/// overrides separated by further NUL bytes; `ConfigLoader.parse` checks the limits, composes,
/// applies the overrides, decodes and validates. A `ConfigError` is fine; crashes are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return fuzz(emptyInput, 0) }
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, omittingEmptySubsequences: false)
    let yaml = parts.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    let overrides = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
    if let config = try? ConfigLoader.parse(yaml: yaml, source: "fuzz.yaml", overrides: overrides) {
        // The accepted config can be printed back (what `synapse train` writes into the run).
        _ = config.resolvedYAML()
    }
    return 0
}
