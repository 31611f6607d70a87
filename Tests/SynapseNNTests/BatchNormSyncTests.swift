import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// Synchronized batch norm: replicas that each see part of a batch, with a reducer that sums
/// their statistics, must behave exactly like one batch norm on the whole batch.
///
/// The replicas run on threads in lockstep (`LockstepReplicas`), so each reduction really
/// combines the contributions of all replicas, as MPI's all-reduce would.
@Suite struct BatchNormSyncTests {
    /// What one replica (or the single reference layer) produced in one training step.
    struct StepResult {
        var output: [Float]
        var inputGrad: [Float]
        var weightGrad: [Float]
        var biasGrad: [Float]
    }

    /// One training step: forward, loss sum(y · G), backward; γ and β gradients reset first.
    static func step(_ bn: BatchNorm, _ x: Tensor, upstream: Tensor) -> StepResult {
        x.requiresGrad = true
        x.grad = nil
        bn.weight!.grad = nil
        bn.bias!.grad = nil
        let y = bn(x)
        sum(multiply(y, upstream)).backward()
        return StepResult(output: y.scalars, inputGrad: x.grad!.scalars,
                          weightGrad: bn.weight!.grad!.scalars, biasGrad: bn.bias!.grad!.scalars)
    }

    /// Rows `rows` of `t` (split along N) as a new tensor.
    static func rows(_ t: Tensor, _ rows: Range<Int>) -> Tensor {
        let perRow = t.count / t.shape[0]
        return Tensor(shape: [rows.count] + t.shape.dropFirst(),
                      values: Array(t.scalars[(rows.lowerBound * perRow)..<(rows.upperBound * perRow)]))
    }

    /// A fresh layer with a non-trivial affine transform (same on every replica).
    static func makeLayer(_ make: () -> BatchNorm) -> BatchNorm {
        let bn = make()
        for c in 0..<bn.featureCount {
            bn.weight!.pointer[c] = 0.5 + 0.25 * Float(c)
            bn.bias!.pointer[c] = 0.1 * Float(c) - 0.2
        }
        return bn
    }

    /// Runs `steps` training steps of one layer on the whole batch and of one layer per replica
    /// on its rows, and compares outputs, input gradients, summed parameter gradients and the
    /// buffers after every step.
    func expectSynchronizedEqualsWholeBatch(shape: [Int], split: [Range<Int>], steps: Int = 2,
                                            sourceLocation: SourceLocation = #_sourceLocation,
                                            _ make: @escaping () -> BatchNorm) {
        let whole = Self.makeLayer(make)
        let replicas = split.map { _ in Self.makeLayer(make) }
        let group = LockstepReplicas(count: split.count)
        for s in 0..<steps {
            let x = randomTensor(shape, seed: 500 + UInt64(s), low: -1, high: 3)
            let g = randomTensor(shape, seed: 600 + UInt64(s))
            let expected = Self.step(whole, x, upstream: g)
            let inputs = split.map { (Self.rows(x, $0), Self.rows(g, $0)) }
            let results = group.run(sourceLocation: sourceLocation) { rank, reducer in
                replicas[rank].statisticsReducer = reducer
                return Self.step(replicas[rank], inputs[rank].0, upstream: inputs[rank].1)
            }
            let what = "step \(s + 1)"
            expectClose(results.flatMap(\.output), expected.output, rtol: 1e-5, atol: 1e-5, "\(what) output",
                        sourceLocation: sourceLocation)
            expectClose(results.flatMap(\.inputGrad), expected.inputGrad, rtol: 1e-4, atol: 1e-5, "\(what) dx",
                        sourceLocation: sourceLocation)
            // Parameter gradients stay per replica; their sum (the trainer's all-reduce) is the whole's.
            let weightSum = (0..<whole.featureCount).map { c in results.reduce(0) { $0 + $1.weightGrad[c] } }
            let biasSum = (0..<whole.featureCount).map { c in results.reduce(0) { $0 + $1.biasGrad[c] } }
            expectClose(weightSum, expected.weightGrad, rtol: 1e-4, atol: 1e-5, "\(what) Σ dγ", sourceLocation: sourceLocation)
            expectClose(biasSum, expected.biasGrad, rtol: 1e-4, atol: 1e-5, "\(what) Σ dβ", sourceLocation: sourceLocation)
            for (rank, replica) in replicas.enumerated() {
                for ((name, mine), (_, reference)) in zip(replica.namedBuffers(), whole.namedBuffers()) {
                    expectClose(mine.scalars, reference.scalars, rtol: 1e-5, atol: 1e-6, "\(what) rank \(rank) \(name)",
                                sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func twoReplicasOfBatchNorm2dEqualOneOnTheWholeBatch() {
        expectSynchronizedEqualsWholeBatch(shape: [6, 3, 2, 2], split: [0..<3, 3..<6]) { BatchNorm2d(featureCount: 3) }
    }

    @Test func unequalShardsOfBatchNorm1dEqualOneOnTheWholeBatch() {
        // 2 + 5 rows: the all-reduced count, not the replica count, weighs each shard.
        expectSynchronizedEqualsWholeBatch(shape: [7, 4], split: [0..<2, 2..<7]) { BatchNorm1d(featureCount: 4) }
    }

    @Test func threeReplicasWithCumulativeMomentum() {
        expectSynchronizedEqualsWholeBatch(shape: [6, 2, 3], split: [0..<2, 2..<4, 4..<6], steps: 3) {
            BatchNorm1d(featureCount: 2, momentum: nil)
        }
    }

    @Test func withoutTheReducerHalvesDiffer() {
        // The check above can fail: local statistics of each half are not the whole batch's.
        let x = randomTensor([6, 3, 2, 2], seed: 700, low: -1, high: 3)
        let whole = BatchNorm2d(featureCount: 3)(x).scalars
        let halves = [0..<3, 3..<6].flatMap { BatchNorm2d(featureCount: 3)(Self.rows(x, $0)).scalars }
        #expect(maxAbsDifference(whole, halves) > 0.01)
    }

    @Test func evaluationDoesNotSynchronize() {
        final class Forbidden: BatchStatisticsReducer {
            var calls = 0
            func sumAcrossReplicas(_ buffer: UnsafeMutableBufferPointer<Double>) { calls += 1 }
        }
        let reducer = Forbidden()
        let bn = BatchNorm2d(featureCount: 2, statisticsReducer: reducer)
        let x = randomTensor([2, 2, 2, 2], seed: 701)
        x.requiresGrad = true
        sum(bn(x)).backward()
        #expect(reducer.calls == 2, "training: one reduction in forward, one in backward")
        bn.eval()
        sum(bn(x)).backward()
        #expect(reducer.calls == 2, "evaluation uses the running statistics: no collective")
    }
}
