import Dispatch
import SynapseCore

/// How fast the convolution layers of a CNN config run, against this core's sgemm rate: the
/// figure that says how much of the machine the im2col + GEMM design uses.
///
/// Each conv layer of the model's blocks (input 28×28, halved by every block; residual convs
/// not included) runs forward and backward on random data with the benchmark's batch,
/// exactly as in training (no input gradient for the first layer: it reads the image).
/// FLOPs per pass are 2·N·Cout·Hout·Wout·Cin·kH·kW (forward, weight gradient, input gradient).
public enum ConvLayerBenchmark {
    /// One layer's figures.
    public struct LayerRate: Sendable, Codable {
        /// "conv2 16→32 5×5 on 14×14".
        public var layer: String
        /// Forward + backward milliseconds per training step (median).
        public var msPerStep: Double
        /// GFLOP/s over forward + backward.
        public var gflops: Double
    }

    /// The conv layers' rates and their combined rate, plus a large sgemm's rate on this core.
    public struct Report: Sendable, Codable {
        /// Each conv layer's rate.
        public var layers: [LayerRate]
        /// All conv layers together, GFLOP/s.
        public var convGflops: Double
        /// A large square sgemm on this core, GFLOP/s: the ceiling.
        public var sgemmGflops: Double
    }

    /// Measures `model`'s conv layers at batch `N` (nil for a model without conv layers).
    public static func run(model: ModelConfig, batch N: Int, repeats: Int = 20) -> Report? {
        guard model.kind == .cnn, !model.conv.isEmpty else { return nil }
        var layers: [LayerRate] = []
        var totalFlops = 0.0, totalSeconds = 0.0
        var channels = 1, size = 28
        let k = model.kernelSize
        // (block, layer in block, input channels, output channels, size) of every conv layer.
        var shapes: [(block: Int, j: Int, cin: Int, cout: Int, size: Int)] = []
        for (i, out) in model.conv.enumerated() {
            for j in 1...model.convsPerBlock { shapes.append((i + 1, j, j == 1 ? channels : out, out, size)) }
            channels = out
            size /= 2
        }
        for (index, s) in shapes.enumerated() {
            let x = Tensor(uninitializedShape: [N, s.cin, s.size, s.size])
            let w = Tensor(uninitializedShape: [s.cout, s.cin, k, k])
            var rng = RandomGenerator(seed: UInt64(index + 1))
            for t in [x, w] { for j in 0..<t.count { t.pointer[j] = rng.nextUniform() - 0.5 } }
            x.requiresGrad = index > 0
            w.requiresGrad = true
            let bias = model.batchNorm ? nil : Tensor(shape: [s.cout], repeating: 0.1)
            bias?.requiresGrad = true
            let dy = Tensor(shape: [N, s.cout, s.size, s.size], repeating: 0.01)
            var times: [Double] = []
            for r in 0..<(repeats + 3) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                conv2d(x, weight: w, bias: bias, padding: Size2D(k / 2)).backward(gradient: dy)
                if r >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9) }
            }
            times.sort()
            let seconds = times[times.count / 2]
            let passes = x.requiresGrad ? 3.0 : 2.0
            let flops = passes * 2 * Double(N * s.cout * s.size * s.size * s.cin * k * k)
            layers.append(LayerRate(layer: "conv\(ModelFactory.convLayerID(block: s.block, layer: s.j)) \(s.cin)→\(s.cout) \(k)×\(k) on \(s.size)×\(s.size)",
                                    msPerStep: seconds * 1000, gflops: flops / seconds / 1e9))
            totalFlops += flops
            totalSeconds += seconds
        }
        return Report(layers: layers, convGflops: totalFlops / totalSeconds / 1e9, sgemmGflops: sgemmRate())
    }

    /// GFLOP/s of a 1024³ sgemm on this thread (best of 5): the core's practical ceiling.
    static func sgemmRate() -> Double {
        let n = 1024
        let a = Tensor(shape: [n, n], repeating: 0.5), c = Tensor(uninitializedShape: [n, n])
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, a: a.pointer, lda: n, b: a.pointer, ldb: n,
                      c: c.pointer, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
