import Foundation
import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Speed of the LeNet-like CNN (forward + backward, batch 64, one BLAS thread). A
/// measurement, not a check: it asserts nothing about time and is skipped unless
/// SYNAPSE_BENCH=1. Run it by hand, in release mode, on an otherwise idle machine:
///
///     swift build --build-tests -c release -Xswiftc -enable-testing
///     SYNAPSE_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build \
///         --filter ConvBenchmarkTests
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SYNAPSE_BENCH"] == "1"))
struct ConvBenchmarkTests {
    let batch = 64

    /// Best time of `body` over `repeats` runs after two warm-up runs (best, not mean: the
    /// machine is shared and noise only ever adds time).
    func bestSeconds(repeats: Int = 30, _ body: () -> Void) -> Double {
        body(); body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            body()
            let d = ContinuousClock.now - start
            best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        return best
    }

    @Test func lenetForwardBackward() {
        BLAS.threads = 1
        var rng = RandomGenerator(seed: 1)
        let model = Sequential(
            Conv2d(inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(inChannels: 16, outChannels: 32, kernelSize: 5, padding: 2, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(inputSize: 1568, outputSize: 128, rng: &rng), ReLU(),
            Linear(inputSize: 128, outputSize: 10, rng: &rng))
        let arena = ParameterArena(parameters: model.namedParameters())
        let x = randomTensor([batch, 1, 28, 28], seed: 2)
        let labels = (0..<batch).map { Int32($0 % 10) }
        let step = bestSeconds {
            arena.zeroGrads()
            crossEntropy(logits: model(x), labels: labels).backward()
        }
        print("LeNet fwd+bwd, batch \(batch), 1 thread: \(ms(step)) ms/step, \(Int(Double(batch) / step)) samples/s")

        // Each conv layer alone (forward + backward of sum(y ⊙ g)), with its GEMM FLOPs:
        // forward and dW 2·N·Cout·K·P each, dX the same again when the input needs it.
        for (name, cin, cout, hw, inputNeedsGrad) in [("conv1", 1, 16, 28, false), ("conv2", 16, 32, 14, true)] {
            let conv = Conv2d(inChannels: cin, outChannels: cout, kernelSize: 5, padding: 2, rng: &rng)
            let convArena = ParameterArena(parameters: conv.namedParameters())
            let input = randomTensor([batch, cin, hw, hw], seed: 3)
            input.requiresGrad = inputNeedsGrad
            let upstream = randomTensor([batch, cout, hw, hw], seed: 4)
            let forward = bestSeconds { _ = noGrad { conv(input) } }
            let both = bestSeconds {
                convArena.zeroGrads(); input.grad = nil
                conv(input).backward(gradient: upstream)
            }
            let gemmFlops = 2.0 * Double(batch * cout * cin * 25 * hw * hw)
            let passes = inputNeedsGrad ? 3.0 : 2.0
            print("\(name): forward \(ms(forward)) ms (\(gflops(gemmFlops, forward)) GFLOP/s), "
                  + "fwd+bwd \(ms(both)) ms (\(gflops(passes * gemmFlops, both)) GFLOP/s)")
        }
    }

    func ms(_ s: Double) -> String { String(format: "%.2f", s * 1e3) }
    func gflops(_ flops: Double, _ s: Double) -> String { String(format: "%.1f", flops / s / 1e9) }
}
