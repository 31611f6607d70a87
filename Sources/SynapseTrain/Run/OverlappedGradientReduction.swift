import SynapseComm
import SynapseCore

/// One step's gradient all-reduce, overlapped with the backward pass that produces it: each
/// bucket (`GradientBuckets`) is handed to a non-blocking all-reduce as soon as backward has
/// written the last gradient in it and every bucket before it has started, and the requests
/// in flight are tested after every backward rule so that MPI makes progress while backward
/// computes (Open MPI progresses a non-blocking collective only inside MPI calls).
///
/// Used as the `BackwardObserver` of the step's (last) backward pass; then `finish()` starts
/// what is left, waits for everything and leaves the summed gradients and flags in the arena.
/// The sums are those of one all-reduce of the whole arena: each element is reduced over the
/// same ranks, only in other messages (bit-equal on 2 ranks, where a sum of two numbers is the
/// same in any order; to rounding on more, where the reduction tree may differ with the size).
///
/// The fully connected layers whose gradients go as factors (`FactoredLinearGradient`) are in
/// no bucket: each one's all-gather starts the moment its weight's gradient is final, among the
/// buckets' all-reduces, and `finish()` forms their gradients once everything has arrived.
/// With `startsDuringBackward` false (`train.overlap: false`) nothing starts before `finish()`.
final class OverlappedGradientReduction: BackwardObserver {
    let watchedLeaves: [Tensor]
    private let plan: GradientBuckets
    private let arena: ParameterArena
    private let comm: any Communicator
    /// Entries of each bucket whose gradient is not final yet.
    private var unfinished: [Int]
    /// The layers exchanged as factors, and for an arena entry its index among them.
    private let factored: [FactoredLinearGradient]
    private let factoredOfEntry: [Int: Int]
    /// Whether the factors of each of `factored` are on their way.
    private var gathering: [Bool]
    private let startsDuringBackward: Bool
    /// Requests of the started buckets and gathers, in the order started; `nextToStart` is the
    /// first bucket not started.
    private var requests: [any CollectiveRequest] = []
    private var nextToStart = 0
    /// The oldest started request not yet known to be complete (the one to test).
    private var oldestPending = 0
    /// The first error from a communication call made during backward (rules cannot throw).
    private var failure: Error?

    /// Prepares the reduction of `arena`'s gradients (and control slots, already written) over
    /// `comm`: the buckets of `plan`, and the all-gathers of `factored` (the entries `plan`
    /// leaves out).
    init(arena: ParameterArena, plan: GradientBuckets, comm: any Communicator,
         factored: [FactoredLinearGradient] = [], startsDuringBackward: Bool = true) {
        self.arena = arena
        self.plan = plan
        self.comm = comm
        self.watchedLeaves = arena.tensors
        self.unfinished = plan.buckets.map { $0.entries.count }
        self.factored = factored
        self.factoredOfEntry = Dictionary(uniqueKeysWithValues: factored.enumerated().map { ($0.element.entry, $0.offset) })
        self.gathering = Array(repeating: false, count: factored.count)
        self.startsDuringBackward = startsDuringBackward
    }

    func gradientIsFinal(_ entry: Int) {
        if let f = factoredOfEntry[entry] {
            if startsDuringBackward && failure == nil {
                do { try startGather(f) } catch { failure = error }
            }
            return
        }
        unfinished[plan.bucketOfEntry[entry]] -= 1
        if startsDuringBackward { startReadyBuckets() }
    }

    func backwardRuleDidRun() {
        guard failure == nil, oldestPending < requests.count else { return }
        do {
            while oldestPending < requests.count, try requests[oldestPending].test() { oldestPending += 1 }
        } catch { failure = error }
    }

    /// Starts every remaining bucket and gather (backward is over: all gradients are final),
    /// waits for all of them, forms the factored layers' gradients, and rethrows the first
    /// communication error.
    func finish() throws {
        if let failure { throw failure }
        while nextToStart < plan.buckets.count { try start(nextToStart) }
        for f in factored.indices where !gathering[f] { try startGather(f) }
        for request in requests[oldestPending...] { try request.wait() }
        oldestPending = requests.count
        for layer in factored where !layer.finish() {
            try comm.allReduce(layer.gradient, op: .sum)   // a rank had more rows than planned
        }
    }

    /// Starts buckets in order while the next one's gradients are all final.
    private func startReadyBuckets() {
        while failure == nil, nextToStart < plan.buckets.count, unfinished[nextToStart] == 0 {
            do { try start(nextToStart) } catch { failure = error }
        }
    }

    private func startGather(_ f: Int) throws {
        requests.append(try factored[f].start(on: comm))
        gathering[f] = true
    }

    private func start(_ b: Int) throws {
        let slice = plan.buckets[b].elements
        let buffer = UnsafeMutableBufferPointer(rebasing: arena.gradsAndControl[slice])
        requests.append(try comm.startAllReduce(buffer, op: .sum))
        nextToStart = b + 1
    }
}
