// swift-tools-version:6.0
// libFuzzer targets for Synapse's readers of untrusted input (docs/reliability.md, "Fuzzing").
// Build: swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address
// Run:   Fuzz/run <seconds per target>
import PackageDescription

/// One executable per reader: `LLVMFuzzerTestOneInput` in <name>.swift, and a main.swift that
/// hands it to libFuzzer's driver (FuzzSupport.runFuzzer).
let targets = ["FuzzConfig", "FuzzIDX", "FuzzGzip", "FuzzCIFAR", "FuzzSafeTensors", "FuzzCheckpointState"]

let package = Package(
    name: "SynapseFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Synapse", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"]),
    ] + targets.map { name in
        .executableTarget(name: name, dependencies: [
            "FuzzSupport",
            .product(name: "Synapse", package: "Synapse"),
        ])
    }
)
