import Testing
import SynapseCore
import SynapseTestSupport

/// One op's inputs, forward output and input gradients, computed independently by
/// `Reference/make_reference.py` (numpy, float64). The values live in ReferenceValues.swift.
struct Reference: Sendable {
    /// The op's tensor inputs, in argument order.
    let inputs: [(shape: [Int], values: [Float])]
    /// Class labels for cross-entropy.
    var labels: [Int32] = []
    /// Target values for the regression/BCE losses (they get no gradient).
    var target: [Float] = []
    let outputShape: [Int]
    let output: [Float]
    /// Upstream gradient `G` of the output; `grads[k]` is d sum(output · G) / d input k.
    var upstream: [Float] = []
    var grads: [[Float]] = []

    /// Fresh input tensors that require gradients.
    func makeInputs() -> [Tensor] {
        inputs.map { Tensor(shape: $0.shape, values: $0.values, requiresGrad: true) }
    }
    /// The target as a tensor shaped like the first input.
    var targetTensor: Tensor { Tensor(shape: inputs[0].shape, values: target) }
}

/// Runs `op` on the reference inputs and compares the forward output and, through
/// `backward(gradient: upstream)`, every input gradient with the numpy values.
///
/// Tolerances: Float32 ops against float64 references; outputs are O(1), so 1e-5 relative
/// plus 1e-6 absolute leaves room only for rounding. Gradients go through one more op, hence
/// 1e-4 / 1e-5. The finite-difference references themselves are accurate to ~1e-9.
private func checkAgainstReference(_ ref: Reference, _ what: String,
                                   sourceLocation: SourceLocation = #_sourceLocation,
                                   _ op: ([Tensor]) -> Tensor) {
    let xs = ref.makeInputs()
    let y = op(xs)
    #expect(y.shape == ref.outputShape, "\(what): shape", sourceLocation: sourceLocation)
    expectClose(y.scalars, ref.output, rtol: 1e-5, atol: 1e-6, "\(what) forward",
                sourceLocation: sourceLocation)
    guard !ref.grads.isEmpty else { return }
    y.backward(gradient: Tensor(shape: y.shape, values: ref.upstream))
    for (k, x) in xs.enumerated() {
        let g = x.grad?.scalars ?? []
        expectClose(g, ref.grads[k], rtol: 1e-4, atol: 1e-5, "\(what) gradient of input \(k)",
                    sourceLocation: sourceLocation)
    }
}

@Suite("Ops against numpy reference values")
struct ReferenceTests {
    @Test func linearOp() {
        checkAgainstReference(.linear, "linear") { linear($0[0], weight: $0[1], bias: $0[2]) }
    }
    @Test func matmulOp() {
        checkAgainstReference(.matmul, "matmul") { matmul($0[0], $0[1]) }
    }
    @Test func arithmetic() {
        checkAgainstReference(.add, "add") { add($0[0], $0[1]) }
        checkAgainstReference(.subtract, "subtract") { subtract($0[0], $0[1]) }
        checkAgainstReference(.multiply, "multiply") { multiply($0[0], $0[1]) }
        checkAgainstReference(.scale, "scale") { scale($0[0], by: -1.5) }
    }
    @Test func reductions() {
        checkAgainstReference(.sum, "sum") { sum($0[0]) }
        checkAgainstReference(.mean, "mean") { mean($0[0]) }
    }
    @Test func activations() {
        checkAgainstReference(.relu, "relu") { relu($0[0]) }
        checkAgainstReference(.leakyRelu, "leakyRelu") { leakyRelu($0[0]) }
        checkAgainstReference(.leakyRelu02, "leakyRelu 0.2") { leakyRelu($0[0], negativeSlope: 0.2) }
        checkAgainstReference(.sigmoid, "sigmoid") { sigmoid($0[0]) }
        checkAgainstReference(.tanh, "tanh") { SynapseCore.tanh($0[0]) }
        checkAgainstReference(.gelu, "gelu") { gelu($0[0]) }
    }
    @Test func softmaxFamily() {
        checkAgainstReference(.softmax, "softmax") { softmax($0[0]) }
        checkAgainstReference(.logSoftmax, "logSoftmax") { logSoftmax($0[0]) }
    }
    @Test func crossEntropyLoss() {
        let mean = Reference.crossEntropyMean, total = Reference.crossEntropySum
        checkAgainstReference(mean, "crossEntropy mean") { crossEntropy(logits: $0[0], labels: mean.labels) }
        checkAgainstReference(total, "crossEntropy sum") {
            crossEntropy(logits: $0[0], labels: total.labels, reduction: .sum)
        }
    }
    @Test func regressionLosses() {
        for (ref, reduction) in [(Reference.mseMean, Reduction.mean), (.mseSum, .sum)] {
            checkAgainstReference(ref, "mseLoss \(reduction)") {
                mseLoss($0[0], ref.targetTensor, reduction: reduction)
            }
        }
        for (ref, reduction) in [(Reference.maeMean, Reduction.mean), (.maeSum, .sum)] {
            checkAgainstReference(ref, "maeLoss \(reduction)") {
                maeLoss($0[0], ref.targetTensor, reduction: reduction)
            }
        }
    }
    @Test func binaryCrossEntropyLosses() {
        checkAgainstReference(.bce, "binaryCrossEntropy") {
            binaryCrossEntropy($0[0], Reference.bce.targetTensor)
        }
        checkAgainstReference(.bceWithLogits, "binaryCrossEntropyWithLogits") {
            binaryCrossEntropyWithLogits($0[0], Reference.bceWithLogits.targetTensor)
        }
    }
}
