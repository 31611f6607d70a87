import Testing
@testable import SynapseCore
import SynapseTestSupport

/// NaN and ±∞ go through every op as they do in PyTorch: a NaN in never comes out as a
/// plausible number. (ReLU once wrote `x > 0 ? x : 0`, which maps NaN to 0: a model with NaN
/// weights then scored an accuracy instead of failing.) Max pooling's NaN rule is tested in
/// `PoolOpTests`.
@Suite struct NonFiniteOpTests {
    let nan = Float.nan, inf = Float.infinity

    /// Value of `op(x)` and `d sum(op(x)) / dx` at each element of `x`.
    func valueAndDerivative(_ x: [Float], _ op: (Tensor) -> Tensor) -> (y: [Float], dy: [Float]) {
        let t = Tensor(shape: [x.count], values: x, requiresGrad: true)
        let y = op(t)
        sum(y).backward()
        return (y.scalars, t.grad!.scalars)
    }

    /// Elementwise equality where NaN equals NaN.
    func same(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    @Test func reluPropagatesNaNInValueAndGradient() {
        // torch.relu([-1, nan, 2, 0, -inf, inf]) = [0, nan, 2, 0, 0, inf]; the gradient of the
        // sum is threshold_backward: 0 where x <= 0, else 1 (NaN <= 0 is false, so 1).
        let (y, dy) = valueAndDerivative([-1, nan, 2, 0, -inf, inf], relu)
        #expect(same(y, [0, nan, 2, 0, 0, inf]), "\(y)")
        #expect(same(dy, [0, 1, 1, 0, 0, 1]), "\(dy)")
        // The gradient accumulates the same way into an existing one (second use of x).
        let x = Tensor(shape: [3], values: [nan, -1, 1], requiresGrad: true)
        sum(add(relu(x), relu(x))).backward()
        #expect(same(x.grad!.scalars, [2, 0, 2]), "\(x.grad!.scalars)")
        // -0 maps to +0, as max(0, x) does.
        #expect(relu(Tensor(shape: [1], values: [-0.0])).scalars[0].sign == .plus)
    }

    @Test func leakyReluSigmoidTanhAndGELUPropagateNaN() {
        let ops: [(String, (Tensor) -> Tensor)] = [
            ("leakyRelu", { leakyRelu($0) }), ("sigmoid", sigmoid), ("tanh", SynapseCore.tanh),
            ("gelu", gelu), ("geluTanh", geluTanh), ("softmax", softmax), ("logSoftmax", logSoftmax),
        ]
        for (name, op) in ops {
            let y = op(Tensor(shape: [1, 1], values: [nan])).scalars
            #expect(y[0].isNaN, "\(name)(NaN) = \(y[0])")
        }
        // geluTanh runs in C, 16 lanes at a time: a NaN in any lane and in the tail stays NaN
        // and does not leak into its neighbours.
        var x = [Float](repeating: 0.5, count: 37)
        x[3] = nan; x[20] = nan; x[36] = nan
        let y = geluTanh(Tensor(shape: [37], values: x)).scalars
        #expect(y.indices.filter { y[$0].isNaN } == [3, 20, 36], "\(y)")
    }

    @Test func gateActivationsKeepNaNInItsLane() {
        var lanes = SIMD8<Float>(repeating: 0.25)
        lanes[2] = nan
        let s = gateSigmoid(lanes), t = gateTanh(lanes)
        for i in 0..<8 {
            #expect(s[i].isNaN == (i == 2) && t[i].isNaN == (i == 2), "lane \(i): sigmoid \(s[i]), tanh \(t[i])")
        }
    }

    @Test func recurrentLayersPropagateANaNInput() {
        // One NaN in sample 0's first step: every later output of sample 0 is NaN (the state
        // carries it), sample 1 stays finite, as in PyTorch.
        let B = 2, T = 3, I = 2, H = 4
        var xs = [Float](repeating: 0.1, count: B * T * I)
        xs[0] = nan
        let x = Tensor(shape: [B, T, I], values: xs)
        func weights(_ rows: Int, _ cols: Int) -> Tensor {
            Tensor(shape: [rows, cols], values: (0..<(rows * cols)).map { Float($0 % 7) * 0.05 - 0.15 })
        }
        let outputs = [
            ("lstm", lstm(x, weightIH: weights(4 * H, I), weightHH: weights(4 * H, H), biasIH: nil, biasHH: nil).output),
            ("gru", gru(x, weightIH: weights(3 * H, I), weightHH: weights(3 * H, H), biasIH: nil, biasHH: nil).output),
        ]
        for (name, y) in outputs {
            let v = y.scalars, sample = T * H
            #expect(v[0..<sample].allSatisfy { $0.isNaN }, "\(name) sample 0: \(Array(v[0..<sample]))")
            #expect(v[sample...].allSatisfy { $0.isFinite }, "\(name) sample 1: \(Array(v[sample...]))")
        }
    }

    @Test func normalizationPoolingAndLossPropagateNaN() {
        // layerNorm: a NaN makes its row's mean NaN, so the whole row; the other row is finite.
        let ln = layerNorm(Tensor(shape: [2, 3], values: [1, nan, 3, 1, 2, 3]),
                           weight: Tensor(shape: [3], repeating: 1), bias: Tensor(shape: [3], repeating: 0)).scalars
        #expect(ln[0..<3].allSatisfy { $0.isNaN } && ln[3...].allSatisfy { $0.isFinite }, "\(ln)")
        // batchNorm in training: the channel holding the NaN is NaN throughout.
        let bn = batchNorm(Tensor(shape: [2, 2], values: [nan, 1, 2, 3]), runningMean: nil, runningVar: nil,
                           weight: nil, bias: nil, training: true).scalars
        #expect(bn[0].isNaN && bn[2].isNaN && bn[1].isFinite && bn[3].isFinite, "\(bn)")
        // Average pooling: the window with the NaN.
        let avg = avgPool2d(Tensor(shape: [1, 1, 2, 4], values: [nan, 1, 2, 3, 4, 5, 6, 7]), kernelSize: 2).scalars
        #expect(avg[0].isNaN && avg[1] == 4.5, "\(avg)")
        // Cross-entropy of a row with a NaN logit is NaN (the trainer's non-finite loss check
        // then stops the run).
        let loss = crossEntropy(logits: Tensor(shape: [2, 2], values: [nan, 0, 1, 0]), labels: [1, 0]).item()
        #expect(loss.isNaN, "\(loss)")
    }
}
