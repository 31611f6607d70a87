import SynapseComm
import SynapseCore
import SynapseNN

/// One fully connected layer whose weight gradient crosses the ranks as its factors
/// (`train.gradient_exchange`, "sufficient factor broadcasting", Xie et al. 2016).
///
/// Over a step's R rows the layer's weight gradient is `dW = dyᵀ · x` (dy [R, out], x [R, in]),
/// and the data-parallel gradient is the sum over ranks, `Σᵣ dyᵣᵀ · xᵣ`. Instead of all-reducing
/// the out × in matrices, every rank all-gathers the others' x and dy and forms that sum itself
/// with one matrix product per rank, in rank order: the same result on every rank (bit for bit:
/// the same inputs in the same order), equal to the all-reduced one to float rounding. On the
/// wire that is R·(in + out) floats per rank against about 2·in·out for a ring all-reduce:
/// fewer when the rows per rank are few and the layer is wide.
///
/// The step's life of one layer: `reset()` (the step starts) → backward appends (x, dy) of each
/// micro-batch (`append`, as the layer's `WeightGradientFactors`) → `start(on:)` once the
/// weight's gradient is final (the all-gather of this rank's block) → `finish()` when the
/// gather completed: the sum into the weight's slice of the arena.
///
/// A rank's block is fixed-size so that every rank gathers the same length:
/// `[rows][x: capacity × in][dy: capacity × out]`. `capacity` is the rank's share of the
/// global batch; a rank that gets more rows than that (never in training, where a step's rows
/// per rank are at most `batch_size / ranks`) forms its own gradient and sends -1 as its row
/// count, and then every rank all-reduces this layer's gradient the plain way (`finish`).
final class FactoredLinearGradient: WeightGradientFactors {
    /// The weight's index in `ParameterArena.entries`.
    let entry: Int
    /// The weight's gradient [out, in]: its slice of the arena's gradients.
    let gradient: UnsafeMutableBufferPointer<Float>
    /// Input and output widths.
    let inFeatures: Int, outFeatures: Int
    /// Most rows this rank appends per step.
    let capacity: Int
    /// Number of ranks.
    let ranks: Int
    /// This rank's block, sent: [rows][x rows][dy rows].
    private let block: UnsafeMutableBufferPointer<Float>
    /// Every rank's block, rank r's at r · `blockCount`.
    private let gathered: UnsafeMutableBufferPointer<Float>
    /// Rows appended this step.
    private(set) var rows = 0
    /// Whether this step's rows outgrew `capacity` (the local gradient is then in `gradient`).
    private(set) var overflowed = false

    /// Floats in one rank's block.
    var blockCount: Int { block.count }

    /// Exchanges the gradient of `arena`'s entry `entry` (a weight [out, in]), at most
    /// `capacity` rows per rank per step, over `ranks` ranks.
    init(arena: ParameterArena, entry: Int, capacity: Int, ranks: Int) {
        let e = arena.entries[entry]
        precondition(e.shape.count == 2 && capacity > 0 && ranks > 0)
        self.entry = entry
        self.gradient = UnsafeMutableBufferPointer(rebasing: arena.grads[e.offset..<(e.offset + e.count)])
        self.outFeatures = e.shape[0]
        self.inFeatures = e.shape[1]
        self.capacity = capacity
        self.ranks = ranks
        let count = 1 + capacity * (inFeatures + outFeatures)
        block = .allocate(capacity: count)
        block.initialize(repeating: 0)
        gathered = .allocate(capacity: ranks * count)
        gathered.initialize(repeating: 0)
    }

    deinit {
        block.deallocate()
        gathered.deallocate()
    }

    /// Whether factors are fewer floats on the wire than the gradient, for a layer of
    /// `outFeatures × inFeatures` weights with `rows` rows per rank on `ranks` ranks: an
    /// all-gather brings each rank (ranks − 1) blocks of 1 + rows·(in + out) floats, a ring
    /// all-reduce 2·(ranks − 1)/ranks · in·out.
    static func paysOff(inFeatures: Int, outFeatures: Int, rows: Int, ranks: Int) -> Bool {
        ranks > 1 && ranks * (1 + rows * (inFeatures + outFeatures)) < 2 * inFeatures * outFeatures
    }

    /// The layers of `model` whose weight gradients go as factors on `ranks` ranks with `rows`
    /// rows per rank per step, in arena order: with `factors` every trainable `Linear` weight;
    /// with `auto` those for which factors are fewer bytes (`paysOff`), when the ranks span
    /// machines (in shared memory bytes are cheap, and the extra product costs more than it
    /// saves: 12–18 % of the MLP's 2-rank speed on one machine); none with `allreduce` or on
    /// one rank. The caller has checked that the model feeds each of its fully connected layers
    /// one row per sample (`ModelConfig.Kind.feedsOneRowPerSample`).
    static func choose(in model: Module, exchange: TrainConfig.GradientExchange, rows: Int, ranks: Int,
                       acrossMachines: Bool) -> [Linear] {
        guard ranks > 1, rows > 0 else { return [] }
        return model.linearLayers().filter { layer in
            guard layer.weight.requiresGrad else { return false }
            switch exchange {
            case .allreduce: return false
            case .factors: return true
            case .auto:
                return acrossMachines && paysOff(inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, rows: rows, ranks: ranks)
            }
        }
    }

    /// Installs a `FactoredLinearGradient` as the `gradientFactors` of each of `layers` (and
    /// removes it from every other `Linear` of `model`); returns them in arena order.
    static func install(on layers: [Linear], of model: Module, arena: ParameterArena, rows: Int, ranks: Int)
        -> [FactoredLinearGradient] {
        for layer in model.linearLayers() { layer.gradientFactors = nil }
        var installed: [FactoredLinearGradient] = []
        for layer in layers {
            guard let entry = arena.index(of: layer.weight), layer.gradientFactors == nil else { continue }
            let factors = FactoredLinearGradient(arena: arena, entry: entry, capacity: rows, ranks: ranks)
            layer.gradientFactors = factors
            installed.append(factors)
        }
        return installed.sorted { $0.entry < $1.entry }
    }

    /// A new step: no rows yet.
    func reset() {
        rows = 0
        overflowed = false
    }

    /// Keeps a backward pass's x [n, in] and dy [n, out] in this rank's block.
    func append(input x: Tensor, outputGradient dy: Tensor) {
        let n = x.shape[0]
        if overflowed || rows + n > capacity {
            if !overflowed { addLocalProduct() }
            overflowed = true
            addProduct(x: x.pointer, dy: dy.pointer, rows: n)
            return
        }
        let xStart = block.baseAddress! + 1, dyStart = xStart + capacity * inFeatures
        (xStart + rows * inFeatures).update(from: x.pointer, count: n * inFeatures)
        (dyStart + rows * outFeatures).update(from: dy.pointer, count: n * outFeatures)
        rows += n
    }

    /// Starts the all-gather of every rank's block (once the weight's gradient is final).
    func start(on comm: any Communicator) throws -> any CollectiveRequest {
        block[0] = overflowed ? -1 : Float(rows)
        return try comm.startAllGather(UnsafeBufferPointer(block), into: gathered)
    }

    /// After the gather completed: adds Σᵣ dyᵣᵀ · xᵣ over every rank's rows, in rank order, into
    /// `gradient`. Returns false when some rank overflowed: every rank has then put only its
    /// own gradient there, and the caller must all-reduce it (every rank sees the same row
    /// counts, so all of them take the same branch).
    func finish() -> Bool {
        let n = block.count
        if (0..<ranks).contains(where: { gathered[$0 * n] < 0 }) {
            if !overflowed { addLocalProduct() }
            return false
        }
        for r in 0..<ranks {
            let start = gathered.baseAddress! + r * n
            addProduct(x: start + 1, dy: start + 1 + capacity * inFeatures, rows: Int(start[0]))
        }
        return true
    }

    /// Adds this rank's own rows' dyᵀ · x into `gradient`: what the layer would have
    /// computed without factors (a rank's gradient before any communication).
    func addLocalProduct() {
        let xStart = block.baseAddress! + 1
        addProduct(x: xStart, dy: xStart + capacity * inFeatures, rows: rows)
    }

    /// `gradient` [out, in] += dyᵀ [out, rows] · x [rows, in].
    private func addProduct(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, rows: Int) {
        guard rows > 0 else { return }
        BLAS.gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows,
                  a: dy, lda: outFeatures, b: x, ldb: inFeatures,
                  beta: 1, c: gradient.baseAddress!, ldc: inFeatures)
    }
}

extension Module {
    /// Every `Linear` layer in this module and its children, depth first.
    func linearLayers() -> [Linear] {
        ((self as? Linear).map { [$0] } ?? []) + children.flatMap { $0.module.linearLayers() }
    }
}
