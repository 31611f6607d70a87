// swift-tools-version:6.0
// libFuzzer targets for Synapse's readers of untrusted input (docs/reliability.md, "Fuzzing").
// Build: swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Run:   Fuzz/run <seconds per target>
import PackageDescription

/// One executable per reader; each defines `LLVMFuzzerTestOneInput` and links libFuzzer's `main`.
let targets = ["FuzzConfig", "FuzzIDX", "FuzzGzip", "FuzzCIFAR", "FuzzSafeTensors", "FuzzCheckpointState"]

let package = Package(
    name: "SynapseFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Synapse", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
    ] + targets.map { name in
        .executableTarget(name: name, dependencies: [
            "FuzzSupport",
            .product(name: "Synapse", package: "Synapse"),
        ])
    }
)
