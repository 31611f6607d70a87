import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// BatchNorm1d / BatchNorm2d layers: parameters vs buffers, running statistics over steps,
/// train/eval behaviour and PyTorch's options.
@Suite struct BatchNormLayerTests {
    @Test func buffersAreNamedLikePyTorchAndAreNotParameters() {
        var rng = RandomGenerator(seed: 401)
        let net = Sequential(named: [("fc", Linear(inputSize: 3, outputSize: 4, rng: &rng)),
                                     ("bn1", BatchNorm1d(featureCount: 4))])
        #expect(net.namedParameters().map(\.name) == ["fc.weight", "fc.bias", "bn1.weight", "bn1.bias"])
        let buffers = net.namedBuffers()
        #expect(buffers.map(\.name) == ["bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
        #expect(buffers.map(\.tensor.shape) == [[4], [4], []])
        #expect(buffers.map(\.tensor.scalars) == [[0, 0, 0, 0], [1, 1, 1, 1], [0]])
        #expect(buffers.allSatisfy { !$0.tensor.requiresGrad })
        let bn = BatchNorm2d(featureCount: 2)
        #expect(bn.weight!.scalars == [1, 1] && bn.bias!.scalars == [0, 0], "γ starts at 1, β at 0")
        #expect(bn.momentum == 0.1 && bn.eps == 1e-5, "PyTorch's defaults")
    }

    @Test func runningStatisticsAfterTwoTrainingSteps() {
        // Step 1 {1, 3}: mean 2, unbiased var 2; step 2 {2, 6}: mean 4, unbiased var 8.
        let bn = BatchNorm1d(featureCount: 1)
        _ = bn(Tensor(shape: [2, 1], values: [1, 3]))
        _ = bn(Tensor(shape: [2, 1], values: [2, 6]))
        expectClose(bn.runningMean!.scalars, [0.9 * 0.2 + 0.1 * 4], rtol: 1e-6, atol: 0)
        expectClose(bn.runningVar!.scalars, [0.9 * 1.1 + 0.1 * 8], rtol: 1e-6, atol: 0)
        #expect(bn.numBatchesTracked!.item() == 2)
    }

    @Test func momentumNilIsACumulativeAverage() {
        // Factors 1/1, then 1/2: the running values are the plain averages of the batches'.
        let bn = BatchNorm1d(featureCount: 1, momentum: nil)
        _ = bn(Tensor(shape: [2, 1], values: [1, 3]))
        _ = bn(Tensor(shape: [2, 1], values: [2, 6]))
        expectClose(bn.runningMean!.scalars, [3], rtol: 1e-6, atol: 0)
        expectClose(bn.runningVar!.scalars, [5], rtol: 1e-6, atol: 0)
    }

    @Test func evaluationOutputIsTheRunningStatisticsFormula() {
        let bn = BatchNorm2d(featureCount: 3)
        bn.weight!.pointer.update(from: [1.5, -0.5, 2], count: 3)   // not the identity affine
        bn.bias!.pointer.update(from: [0.1, 0.2, -0.3], count: 3)
        for step in 0..<3 { _ = bn(randomTensor([4, 3, 2, 2], seed: 402 + UInt64(step), low: -1, high: 3)) }
        bn.eval()
        let mean = bn.runningMean!.scalars, variance = bn.runningVar!.scalars
        let tracked = bn.numBatchesTracked!.item()
        let x = randomTensor([2, 3, 2, 2], seed: 410, low: -2, high: 2)
        let y = bn(x)
        var expected: [Float] = []
        for (i, v) in x.scalars.enumerated() {
            let c = (i / 4) % 3
            expected.append((v - mean[c]) / (variance[c] + 1e-5).squareRoot() * bn.weight!.scalars[c] + bn.bias!.scalars[c])
        }
        expectClose(y.scalars, expected, rtol: 1e-5, atol: 1e-6)
        #expect(bn.runningMean!.scalars == mean && bn.runningVar!.scalars == variance, "eval changes nothing")
        #expect(bn.numBatchesTracked!.item() == tracked)
        bn.train()
        #expect(bn(x).scalars != y.scalars, "training mode uses the batch's statistics again")
    }

    @Test func withoutTrackingBothModesUseBatchStatistics() {
        let bn = BatchNorm1d(featureCount: 2, trackRunningStatistics: false)
        #expect(bn.namedBuffers().isEmpty && bn.runningMean == nil)
        let x = randomTensor([5, 2], seed: 411)
        let trained = bn(x).scalars
        bn.eval()
        #expect(bn(x).scalars == trained)
    }

    @Test func withoutAffineThereAreNoParameters() {
        let bn = BatchNorm2d(featureCount: 2, affine: false)
        #expect(bn.namedParameters().isEmpty && bn.weight == nil)
        let x = randomTensor([2, 2, 3, 3], seed: 412)
        let plain = batchNorm(x, runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        #expect(bn(x).scalars == plain.scalars)
    }

    @Test func layerGradientsInTrainingMode() {
        let bn = BatchNorm2d(featureCount: 2)
        bn.weight!.pointer.update(from: [0.7, 1.3], count: 2)
        bn.bias!.pointer.update(from: [0.2, -0.1], count: 2)
        let x = randomTensor([2, 2, 3, 2], seed: 413, low: -2, high: 2)
        expectGradientsMatch([x, bn.weight!, bn.bias!], h: 1e-2, "BatchNorm2d layer") {
            weightedSum(bn(x), seed: 414)
        }
    }

    @Test func synchronizeBatchNormReachesNestedLayers() {
        final class Sum: BatchStatisticsReducer {
            func sumAcrossReplicas(_ buffer: UnsafeMutableBufferPointer<Double>) {}
        }
        var rng = RandomGenerator(seed: 415)
        let inner = Sequential(BatchNorm1d(featureCount: 4), ReLU())
        let net = Sequential(Linear(inputSize: 2, outputSize: 4, rng: &rng), inner, BatchNorm1d(featureCount: 4))
        let reducer = Sum()
        #expect(net.synchronizeBatchNorm(with: reducer) == 2)
        let layers = [inner.layers[0], net.layers[2]].map { $0 as! BatchNorm }
        #expect(layers.allSatisfy { $0.statisticsReducer === reducer })
        #expect(net.synchronizeBatchNorm(with: nil) == 2)
        #expect(layers.allSatisfy { $0.statisticsReducer == nil })
    }

    @Test func frozenRunningStatisticsNormalizeWithTheBatchButKeepTheBuffers() {
        var rng = RandomGenerator(seed: 416)
        let bn = BatchNorm2d(featureCount: 2)
        let net = Sequential(Sequential(Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, rng: &rng), bn))
        let x = randomTensor([3, 1, 4, 4], seed: 417, low: -1, high: 2)
        _ = net(x)
        let mean = bn.runningMean!.scalars, variance = bn.runningVar!.scalars
        let y = net(x).scalars   // a second counted batch: the buffers move again
        #expect(bn.numBatchesTracked!.item() == 2)
        let counted = (bn.runningMean!.scalars, bn.runningVar!.scalars)
        #expect(counted.0 != mean && counted.1 != variance)

        #expect(net.freezeBatchNormStatistics(true) == 1, "reaches the nested layer")
        #expect(bn.freezesRunningStatistics)
        #expect(net(x).scalars == y, "still the batch's statistics, not the running ones")
        #expect(bn.runningMean!.scalars == counted.0 && bn.runningVar!.scalars == counted.1)
        #expect(bn.numBatchesTracked!.item() == 2, "a frozen pass is not counted")
        net.freezeBatchNormStatistics(false)
        _ = net(x)
        #expect(bn.numBatchesTracked!.item() == 3)
    }

    @Test func aLayerWithFrozenParametersComputesAsInEvaluation() {
        var rng = RandomGenerator(seed: 418)
        let bn = BatchNorm2d(featureCount: 2), other = BatchNorm2d(featureCount: 2)
        let net = Sequential(named: [("conv", Conv2d(inChannels: 1, outChannels: 2, kernelSize: 3, rng: &rng)),
                                     ("bn", bn), ("block", Sequential(named: [("bn", other)]))])
        let x = randomTensor([3, 1, 4, 4], seed: 419, low: -1, high: 2)
        _ = net(x)   // running statistics away from their start
        let statistics = net.namedBuffers().map(\.tensor.scalars)
        net.eval()
        let evaluated = net(x).scalars
        net.train()

        net.freeze(prefix: "bn.weight")
        #expect(net.fixFrozenBatchNormLayers() == 0, "β still trains: the layer keeps training mode")
        net.freeze(prefix: "bn")
        #expect(net.fixFrozenBatchNormLayers() == 1 && bn.isFrozen && !other.isFrozen)
        net.freeze(prefix: "block.bn")
        #expect(net.fixFrozenBatchNormLayers() == 2, "reaches the nested layer")
        let y = net(x)
        #expect(y.scalars == evaluated, "training mode, yet the running statistics normalize the frozen layers")
        #expect(net.namedBuffers().map(\.tensor.scalars) == statistics, "and stay as they are")
        // Backward still reaches the conv layer through the fixed affine maps.
        sum(y).backward()
        #expect(net.namedParameters()[0].tensor.grad!.scalars.contains { $0 != 0 })

        net.unfreeze(prefix: "bn")
        #expect(net.fixFrozenBatchNormLayers() == 1 && !bn.isFrozen && other.isFrozen)
        _ = net(x)
        #expect(bn.numBatchesTracked!.item() == 2)
    }
}
