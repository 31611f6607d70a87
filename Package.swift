// swift-tools-version:6.0
// Synapse: neural networks from the perceptron to the Transformer, trained data-parallel
// under MPI on an OpenBLAS kernel core. Dependencies point down only:
//   synapse (CLI) → SynapseTrain → SynapseComm/SynapseMPI, SynapseData, SynapseOptim, SynapseNN
//   → SynapseCore → CBLAS, CKernels.   Only SynapseMPI imports CMPI.
import PackageDescription

let package = Package(
    name: "Synapse",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Synapse", targets: [
            "SynapseCore", "SynapseNN", "SynapseOptim", "SynapseData",
            "SynapseComm", "SynapseMPI", "SynapseTrain",
        ]),
        .executable(name: "synapse", targets: ["synapse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // `swift package generate-documentation`: the DocC API reference (docs/api.md).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // MARK: - System libraries (macro shims only; no stable API)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // MARK: - C kernels (compiled per instruction set, picked at run time; no stable API)
        .target(name: "CKernels"),   // LSTM/GRU gate math, attention's row softmax, GELU, layer norm

        // MARK: - Library layers
        .target(name: "SynapseCore", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "SynapseNN", dependencies: ["SynapseCore"]),
        .target(name: "SynapseOptim", dependencies: ["SynapseCore"]),
        .target(name: "SynapseData", dependencies: ["SynapseCore", "CZlib"]),
        .target(name: "SynapseComm", dependencies: ["SynapseCore"]),
        .target(name: "SynapseMPI", dependencies: ["SynapseComm", "CMPI"]),
        .target(name: "SynapseTrain", dependencies: [
            "SynapseCore", "SynapseNN", "SynapseOptim", "SynapseData", "SynapseComm", "CZlib",
            .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: - Command-line tool
        .executableTarget(name: "synapse", dependencies: [
            "SynapseTrain", "SynapseMPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Examples (one executable per chapter of the guide)
        .executableTarget(name: "SingleNeuron", dependencies: ["SynapseCore", "SynapseNN"],
                          path: "Examples/SingleNeuron"),
        .executableTarget(name: "QuickStart", dependencies: ["SynapseCore", "SynapseNN"],
                          path: "Examples/QuickStart"),
        .target(name: "GuideFormatting", path: "Examples/GuideFormatting"),   // the chapters' number formatting
        .executableTarget(name: "Backpropagation", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "GuideFormatting"],
                          path: "Examples/Backpropagation"),
        .executableTarget(name: "Optimizers", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "SynapseData", "GuideFormatting"],
                          path: "Examples/Optimizers"),
        .executableTarget(name: "Convolution", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "SynapseData"],
                          path: "Examples/Convolution"),
        .executableTarget(name: "Regularization", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "GuideFormatting"],
                          path: "Examples/Regularization"),
        .executableTarget(name: "Recurrent", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "GuideFormatting"],
                          path: "Examples/Recurrent"),
        .executableTarget(name: "Attention", dependencies: ["SynapseCore", "SynapseNN", "SynapseOptim", "GuideFormatting"],
                          path: "Examples/Attention"),

        // MARK: - Tests
        .target(name: "SynapseTestSupport", dependencies: ["SynapseCore", "SynapseComm"],
                path: "Tests/SynapseTestSupport"),
        .testTarget(name: "SynapseCoreTests", dependencies: ["SynapseCore", "SynapseTestSupport"],
                    exclude: ["Reference"]),   // the numpy scripts that generate the reference values
        .testTarget(name: "SynapseNNTests", dependencies: ["SynapseNN", "SynapseTestSupport"],
                    exclude: ["Reference"]),   // the numpy script behind the GPT reference logits
        .testTarget(name: "SynapseOptimTests", dependencies: ["SynapseOptim", "SynapseNN", "SynapseTestSupport"]),   // convergence tests train small networks
        .testTarget(name: "SynapseDataTests", dependencies: ["SynapseData", "SynapseCore", "CZlib", "SynapseTestSupport"]),
        .testTarget(name: "SynapseTrainTests", dependencies: [
            "SynapseTrain", "SynapseComm", "SynapseTestSupport",
        ]),
        .testTarget(name: "SynapseCLITests", dependencies: ["synapse", "SynapseTrain", "SynapseData", "SynapseTestSupport"],
                    exclude: ["Reference"]),   // the numpy script behind the Attention chapter's expected tables; the TensorBoard reader
        // Runs under mpirun from SynapseCLITests/MPICommunicatorTests (multi-rank checks and
        // the all-reduce benchmark); a test binary, not a product.
        .executableTarget(name: "mpi-probe", dependencies: ["SynapseMPI"], path: "Tests/MPIProbe"),
    ]
)
