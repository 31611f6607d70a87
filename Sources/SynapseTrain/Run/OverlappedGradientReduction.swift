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
final class OverlappedGradientReduction: BackwardObserver {
    let watchedLeaves: [Tensor]
    private let plan: GradientBuckets
    private let arena: ParameterArena
    private let comm: any Communicator
    /// Entries of each bucket whose gradient is not final yet.
    private var unfinished: [Int]
    /// Requests of the started buckets, in bucket order; `nextToStart` is the first not started.
    private var requests: [any CollectiveRequest] = []
    private var nextToStart = 0
    /// The oldest started bucket not yet known to be complete (the one to test).
    private var oldestPending = 0
    /// The first error from a communication call made during backward (rules cannot throw).
    private var failure: Error?

    /// Prepares the reduction of `arena`'s gradients (and control slots, already written) over `comm`.
    init(arena: ParameterArena, plan: GradientBuckets, comm: any Communicator) {
        self.arena = arena
        self.plan = plan
        self.comm = comm
        self.watchedLeaves = arena.tensors
        self.unfinished = plan.buckets.map { $0.entries.count }
    }

    func gradientIsFinal(_ entry: Int) {
        unfinished[plan.bucketOfEntry[entry]] -= 1
        startReadyBuckets()
    }

    func backwardRuleDidRun() {
        guard failure == nil, oldestPending < requests.count else { return }
        do {
            while oldestPending < requests.count, try requests[oldestPending].test() { oldestPending += 1 }
        } catch { failure = error }
    }

    /// Starts every remaining bucket (backward is over: all gradients are final), waits for all
    /// of them, and rethrows the first communication error.
    func finish() throws {
        if let failure { throw failure }
        while nextToStart < plan.buckets.count { try start(nextToStart) }
        for request in requests[oldestPending...] { try request.wait() }
        oldestPending = requests.count
    }

    /// Starts buckets in order while the next one's gradients are all final.
    private func startReadyBuckets() {
        while failure == nil, nextToStart < plan.buckets.count, unfinished[nextToStart] == 0 {
            do { try start(nextToStart) } catch { failure = error }
        }
    }

    private func start(_ b: Int) throws {
        let slice = plan.buckets[b].elements
        let buffer = UnsafeMutableBufferPointer(rebasing: arena.gradsAndControl[slice])
        requests.append(try comm.startAllReduce(buffer, op: .sum))
        nextToStart = b + 1
    }
}
