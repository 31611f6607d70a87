import Foundation
import Testing
import SynapseComm
import SynapseCore
import SynapseNN
import SynapseTestSupport
@testable import SynapseTrain

/// Small models of each family that overlap has to handle: plain layers, a shared weight (the
/// GPT's tied token embedding, used first in forward and last in backward), a recurrent
/// weight used at every time step, convolution with batch norm.
enum OverlapFixture {
    static let features = SyntheticShards.Kind.features(8, classes: 3)
    static let tokens = SyntheticShards.Kind.tokens(vocabulary: 11, context: 8)

    static func mlp() -> ModelConfig {
        var m = ModelConfig()
        m.hidden = [32, 16]
        m.dropout = 0.1
        return m
    }

    static func gpt() -> ModelConfig {
        var m = ModelConfig()
        m.kind = .transformer
        (m.width, m.layers, m.heads, m.context) = (16, 2, 2, 8)
        return m
    }

    static func lstm() -> ModelConfig {
        var m = ModelConfig()
        m.kind = .lstm
        (m.hiddenSize, m.embedding, m.layers) = (12, 6, 2)
        return m
    }

    /// A config around `model`: Adam, global batch 24.
    static func config(_ model: ModelConfig, overlap: Bool = true, bucketMb: Double = 0.002, accumulate: Int = 1) -> Config {
        var c = Config()
        c.model = model
        c.train.batchSize = 24
        c.train.overlap = overlap
        c.train.bucketMb = bucketMb
        c.train.accumulateSteps = accumulate
        c.optimizer = OptimizerConfig(name: .adam)
        c.optimizer.lr = 0.01
        return c
    }

    /// Trains `config` for `steps` on every rank of `ranks` and returns each rank's final
    /// parameters and its step results.
    static func train(_ config: Config, _ kind: SyntheticShards.Kind, ranks: Int, steps: Int) throws
        -> [(values: [Float], results: [Replica.StepResult])] {
        try InProcessRanks(count: ranks).run { comm in
            let data = SyntheticShards(kind, globalBatch: config.train.batchSize, rank: comm.rank, worldSize: comm.size)
            let replica = try Replica(config: config, inputShape: data.inputShape, classCount: data.classCount,
                                      totalSteps: steps, comm: comm)
            try replica.sync.broadcastParameters(replica.arena)
            var results: [Replica.StepResult] = []
            for step in 0..<steps {
                results.append(try replica.step(try data.trainBatch(epoch: 0, index: step), at: StepPosition(step: step, epoch: 0)))
            }
            return (Array(replica.arena.values), results)
        }
    }
}

/// The bucket plan: contiguous slices of the gradient arena cut from its end.
@Suite struct GradientBucketsTests {
    @Test func bucketsAreContiguousSlicesCutFromTheEndOfTheArena() {
        let arena = ParameterArena(parameters: [("a", Tensor(shape: [10], repeating: 0)), ("b", Tensor(shape: [300], repeating: 0)),
                                                ("c", Tensor(shape: [5], repeating: 0)), ("d", Tensor(shape: [200], repeating: 0))])
        // 1000 bytes = 250 floats: d (200) + c (5) < 250, + b = 505 closes bucket 0; a is the rest.
        let plan = GradientBuckets(arena: arena, bytes: 1000)
        #expect(plan.buckets == [.init(entries: 1..<4, elements: 10..<519), .init(entries: 0..<1, elements: 0..<10)],
                "bucket 0 ends with the 4 control slots after the gradients")
        #expect(plan.bucketOfEntry == [1, 0, 0, 0])
        // Every float of gradsAndControl in exactly one bucket.
        let covered = plan.buckets.flatMap { Array($0.elements) }.sorted()
        #expect(covered == Array(0..<(arena.count + ParameterArena.controlSlotCount)))
        let one = GradientBuckets(arena: arena, megabytes: 1)
        #expect(one.buckets == [.init(entries: 0..<4, elements: 0..<519)], "1 MiB holds this whole arena")
        let each = GradientBuckets(arena: arena, bytes: 4)
        #expect(each.buckets.map(\.entries) == [3..<4, 2..<3, 1..<2, 0..<1], "a parameter is never split")
    }

    /// A gradient reported final must not change afterwards: for each model, the gradient of
    /// every parameter at the moment `gradientIsFinal` names it equals its gradient after the
    /// whole pass, bit for bit; and the layout check — the order in which parameters become final
    /// against their order in the arena.
    @Test(arguments: ["mlp", "gpt", "lstm", "gru", "rnn", "cnn-bn"])
    func aGradientReportedFinalNeverChangesAgain(model name: String) throws {
        let (model, kind): (ModelConfig, SyntheticShards.Kind) = switch name {
        case "gpt": (OverlapFixture.gpt(), OverlapFixture.tokens)
        case "lstm": (OverlapFixture.lstm(), OverlapFixture.tokens)
        case "gru", "rnn":
            ({ var m = OverlapFixture.lstm(); m.kind = name == "gru" ? .gru : .rnn; return m }(), OverlapFixture.tokens)
        case "cnn-bn":
            ({ var m = ModelConfig(); m.kind = .cnn; m.conv = [4]; m.kernelSize = 3; m.batchNorm = true; m.hidden = [8]; return m }(),
             .features(2 * 6 * 6, classes: 3))
        default: (OverlapFixture.mlp(), OverlapFixture.features)
        }
        let data = SyntheticShards(kind, globalBatch: 6, rank: 0, worldSize: 1)
        let shape = name == "cnn-bn" ? [2, 6, 6] : data.inputShape
        let replica = try Replica(config: OverlapFixture.config(model), inputShape: shape, classCount: data.classCount,
                                  comm: LocalCommunicator())
        var batch = try data.trainBatch(epoch: 0, index: 0)
        if name == "cnn-bn" { batch.inputs = Tensor(shape: [6, 2, 6, 6], values: Array(batch.inputs.data)) }
        replica.arena.zeroGrads()
        let output = replica.model(batch.inputs)
        let loss = replica.objective.trainingLoss(output, batch)
        let recorder = FinalGradientRecorder(arena: replica.arena)
        loss.backward(observer: recorder)
        #expect(recorder.order.count == replica.arena.entries.count && Set(recorder.order).count == recorder.order.count,
                "each parameter reported final exactly once")
        for (e, entry) in replica.arena.entries.enumerated() {
            let after = Array(replica.arena.grads[entry.offset..<(entry.offset + entry.count)])
            #expect(recorder.snapshots[e] == after, "\(name): \(entry.name) changed after it was reported final")
        }
        let names = recorder.order.map { replica.arena.entries[$0].name }
        if name == "gpt" {
            #expect(names.last == "tok.weight", "the tied embedding is final last (its last use is the input lookup): \(names)")
            #expect(recorder.rulesBefore[recorder.order.first!] < recorder.rulesBefore[recorder.order.last!])
        }
        if name == "mlp" {
            // The arena is in model order and backward finishes it in reverse (a layer's weight and
            // bias together, after the same rule): buckets cut from the end become ready in order.
            #expect(names == ["fc3.weight", "fc3.bias", "fc2.weight", "fc2.bias", "fc1.weight", "fc1.bias"], "\(names)")
            let moments = replica.arena.entries.indices.map { recorder.rulesBefore[$0] }
            #expect(zip(moments, moments.dropFirst()).allSatisfy { $0 >= $1 }, "later in the arena, final no later: \(moments)")
        }
    }
}

/// Records, for each watched parameter, a copy of its gradient when reported final.
final class FinalGradientRecorder: BackwardObserver {
    let arena: ParameterArena
    var watchedLeaves: [Tensor] { arena.tensors }
    var order: [Int] = []
    var snapshots: [[Float]]
    var rulesBefore: [Int]
    private var rules = 0
    init(arena: ParameterArena) {
        self.arena = arena
        snapshots = Array(repeating: [], count: arena.entries.count)
        rulesBefore = Array(repeating: -1, count: arena.entries.count)
    }
    func gradientIsFinal(_ index: Int) {
        let e = arena.entries[index]
        order.append(index)
        snapshots[index] = Array(arena.grads[e.offset..<(e.offset + e.count)])
        rulesBefore[index] = rules
    }
    func backwardRuleDidRun() { rules += 1 }
}

/// Bucketed, overlapped all-reduce against one all-reduce after backward, on ranks in one
/// process (the fake fails a test when a bucket is written while in flight).
@Suite struct OverlappedAllReduceTests {
    /// "mlp-sam": sharpness-aware minimization, whose two reductions per step are both overlapped;
    /// "mlp-k2": two micro-batches per step, the second one's backward overlapped; "mlp-frozen":
    /// a frozen layer in the middle.
    @Test(arguments: [(2, "mlp"), (3, "mlp"), (2, "gpt"), (3, "gpt"), (2, "lstm"), (2, "mlp-sam"), (3, "mlp-k2"), (2, "mlp-frozen")])
    func overlappedEqualsOneAllReduceBitForBit(ranks: Int, model name: String) throws {
        let (model, kind) = name == "gpt" ? (OverlapFixture.gpt(), OverlapFixture.tokens)
            : name == "lstm" ? (OverlapFixture.lstm(), OverlapFixture.tokens) : (OverlapFixture.mlp(), OverlapFixture.features)
        func config(overlap: Bool) -> Config {
            var c = OverlapFixture.config(model, overlap: overlap, accumulate: name == "mlp-k2" ? 2 : 1)
            if name == "mlp-sam" { c.train.samRho = 0.05 }
            if name == "mlp-frozen" { c.train.freeze = ["fc2"] }   // its bucket holds gradients no rule writes
            return c
        }
        let overlapped = try OverlapFixture.train(config(overlap: true), kind, ranks: ranks, steps: 30)
        let single = try OverlapFixture.train(config(overlap: false), kind, ranks: ranks, steps: 30)
        let alone = try Replica(config: OverlapFixture.config(model), inputShape: SyntheticShards(kind, globalBatch: 24, rank: 0, worldSize: 1).inputShape,
                                classCount: SyntheticShards(kind, globalBatch: 24, rank: 0, worldSize: 1).classCount, comm: LocalCommunicator())
        #expect(alone.buckets == nil, "one rank: no communication at all")
        for r in 0..<ranks {
            #expect(overlapped[r].values == single[r].values, "rank \(r): bucketed and single all-reduce differ")
            #expect(overlapped[r].values == overlapped[0].values, "rank \(r) differs from rank 0")
            #expect(overlapped[r].results.map(\.loss) == single[r].results.map(\.loss))
        }
        let moved = zip(overlapped[0].values, single[0].values).count { $0.0 != 0 }
        #expect(moved > 0)
    }

    /// The buckets really go out during backward: between the first and the last start the
    /// requests in flight are tested (after backward rules), and the buckets start in plan order.
    @Test func bucketsStartDuringBackwardInPlanOrder() throws {
        let config = OverlapFixture.config(OverlapFixture.gpt())
        let comm = RecordingCommunicator(size: 2)
        let data = SyntheticShards(OverlapFixture.tokens, globalBatch: 24, rank: 0, worldSize: 2)
        let replica = try Replica(config: config, inputShape: [], classCount: 11, comm: comm)
        let plan = try #require(replica.buckets)
        comm.arenaBase = replica.arena.gradsAndControl.baseAddress
        #expect(plan.buckets.count >= 4, "\(plan.buckets.count) buckets")
        _ = try replica.step(try data.trainBatch(epoch: 0, index: 0), at: StepPosition(step: 0, epoch: 0))
        let starts = comm.events.indices.filter { comm.events[$0].hasPrefix("start") }
        #expect(comm.events.filter { $0.hasPrefix("start") } == plan.buckets.map { "start \($0.elements.lowerBound)" })
        let testsBetween = comm.events[starts.first!...starts.last!].filter { $0 == "test" }.count
        #expect(testsBetween > 0, "no progress was made between bucket starts: \(comm.events)")
        #expect(comm.events.last == "wait", "\(comm.events.suffix(5))")
    }
}

/// Identity collectives that report `size` ranks and record what was called.
final class RecordingCommunicator: Communicator {
    let size: Int
    var rank: Int { 0 }
    var events: [String] = []
    /// The arena's `gradsAndControl`, so that a start can be logged by its offset in it.
    var arenaBase: UnsafeMutablePointer<Float>? = nil
    init(size: Int) { self.size = size }
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws { events.append("allReduce") }
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {}
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    func barrier() throws {}
    func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        events.append("start \(arenaBase.map { buffer.baseAddress! - $0 } ?? -1)")
        return Request(owner: self)
    }
    /// Every rank's block is this rank's (identity collectives).
    func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        events.append("gather \(send.count)")
        for r in 0..<size { (receive.baseAddress! + r * send.count).update(from: send.baseAddress!, count: send.count) }
        return Request(owner: self)
    }
    final class Request: CollectiveRequest {
        let owner: RecordingCommunicator
        init(owner: RecordingCommunicator) { self.owner = owner }
        func test() throws -> Bool { owner.events.append("test"); return false }
        func wait() throws { owner.events.append("wait") }
    }
}
