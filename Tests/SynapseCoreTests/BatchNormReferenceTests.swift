import Testing
import SynapseCore
import SynapseTestSupport

/// One batch norm case computed independently by `Reference/make_batchnorm_reference.py`
/// (numpy, float64); the values live in BatchNormReferenceValues.swift.
struct BatchNormReference: Sendable {
    let shape: [Int]
    let training: Bool
    let momentum: Float
    let x: [Float]
    let weight: [Float]
    let bias: [Float]
    /// Running statistics before the call.
    let runningMean: [Float]
    let runningVar: [Float]
    let output: [Float]
    /// Running statistics after the call.
    let newRunningMean: [Float]
    let newRunningVar: [Float]
    /// Upstream gradient G; the grads are d sum(output · G) / d input.
    let upstream: [Float]
    let gradX: [Float]
    let gradWeight: [Float]
    let gradBias: [Float]
}

@Suite("batchNorm against numpy reference values")
struct BatchNormReferenceTests {
    /// Runs the op on the reference inputs and compares output, running statistics and the
    /// three gradients. Tolerances as in ReferenceTests (Float32 against float64).
    private func check(_ ref: BatchNormReference, _ what: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let C = ref.shape[1]
        let x = Tensor(shape: ref.shape, values: ref.x, requiresGrad: true)
        let weight = Tensor(shape: [C], values: ref.weight, requiresGrad: true)
        let bias = Tensor(shape: [C], values: ref.bias, requiresGrad: true)
        let runningMean = Tensor(shape: [C], values: ref.runningMean)
        let runningVar = Tensor(shape: [C], values: ref.runningVar)
        let y = batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                          training: ref.training, momentum: ref.momentum)
        expectClose(y.scalars, ref.output, rtol: 1e-5, atol: 1e-5, "\(what) forward", sourceLocation: sourceLocation)
        expectClose(runningMean.scalars, ref.newRunningMean, rtol: 1e-5, atol: 1e-6, "\(what) running mean",
                    sourceLocation: sourceLocation)
        expectClose(runningVar.scalars, ref.newRunningVar, rtol: 1e-5, atol: 1e-6, "\(what) running var",
                    sourceLocation: sourceLocation)
        y.backward(gradient: Tensor(shape: ref.shape, values: ref.upstream))
        expectClose(x.grad!.scalars, ref.gradX, rtol: 1e-4, atol: 1e-5, "\(what) dx", sourceLocation: sourceLocation)
        expectClose(weight.grad!.scalars, ref.gradWeight, rtol: 1e-4, atol: 1e-5, "\(what) dγ",
                    sourceLocation: sourceLocation)
        expectClose(bias.grad!.scalars, ref.gradBias, rtol: 1e-4, atol: 1e-5, "\(what) dβ",
                    sourceLocation: sourceLocation)
    }

    @Test func training1d() { check(.train1d, "BatchNorm1d train [5, 3]") }
    @Test func training2d() { check(.train2d, "BatchNorm2d train [2, 3, 2, 3]") }
    @Test func trainingSequence() { check(.train3d, "BatchNorm1d train [3, 2, 4], momentum 0.3") }
    @Test func evaluation2d() { check(.eval2d, "BatchNorm2d eval [2, 3, 2, 2]") }
}
