import Foundation
import Testing
import SynapseCore

/// Runs `count` simulated data-parallel replicas in one process, each on its own thread, and
/// gives each a `BatchStatisticsReducer` that behaves like an MPI all-reduce: a call blocks
/// until every replica has made its matching call, then each gets the elementwise sum.
///
/// This is how synchronized batch norm is tested without MPI: the replicas run their forward
/// and backward passes truly "in lockstep", exactly as ranks would. A replica that makes a
/// call the others never match (a hang under MPI) fails the test after `timeout` seconds
/// instead of hanging it.
public final class LockstepReplicas: @unchecked Sendable {
    /// Number of replicas.
    public let count: Int
    private let timeout: TimeInterval
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var contributions: [[Double]?]
    private var result: [Double] = []
    private var generation = 0
    private var failed = false

    /// A group of `count` replicas whose reductions wait at most `timeout` seconds.
    public init(count: Int, timeout: TimeInterval = 20) {
        precondition(count > 0)
        self.count = count
        self.timeout = timeout
        contributions = Array(repeating: nil, count: count)
    }

    /// Calls `body(rank, reducer)` on `count` threads at once and returns the results by rank.
    /// `body` must touch only its own replica's objects (it runs concurrently).
    public func run<R>(sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: (_ rank: Int, _ reducer: any BatchStatisticsReducer) -> R) -> [R] {
        let results = Box<[R?]>(Array(repeating: nil, count: count))
        // Every thread finishes before `run` returns, so `body` does not really escape.
        withoutActuallyEscaping(body) { body in
            let work = Box<Optional>(body)
            let done = DispatchGroup()
            for rank in 0..<count {
                done.enter()
                let reducer = Replica(group: self, rank: rank)
                Thread {
                    let r = work.value!(rank, reducer)
                    self.condition.lock()
                    results.value[rank] = r
                    self.condition.unlock()
                    done.leave()
                }.start()
            }
            done.wait()
            work.value = nil   // the threads may outlive this call and keep the box alive
        }
        if failed {
            let message = "LockstepReplicas: a replica waited \(timeout) s for a reduction the others never made "
                + "(calls did not match across replicas)"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
        return results.value.map { $0! }
    }

    /// Blocks until all replicas have contributed, then writes the sum into `buffer`.
    fileprivate func sum(rank: Int, _ buffer: UnsafeMutableBufferPointer<Double>) {
        condition.lock()
        defer { condition.unlock() }
        if failed { return }
        precondition(contributions[rank] == nil, "replica \(rank) reduced twice in one round")
        contributions[rank] = Array(buffer)
        if contributions.allSatisfy({ $0 != nil }) {
            let all = contributions.map { $0! }
            guard all.allSatisfy({ $0.count == buffer.count }) else {
                preconditionFailure("LockstepReplicas: buffers of different lengths \(all.map(\.count)) in one reduction")
            }
            // Summed in rank order, as a deterministic all-reduce would.
            result = (0..<buffer.count).map { i in all.reduce(0) { $0 + $1[i] } }
            contributions = Array(repeating: nil, count: count)
            generation += 1
            condition.broadcast()
        } else {
            // The next round cannot complete without this replica, so `result` stays ours.
            let round = generation
            let deadline = Date(timeIntervalSinceNow: timeout)
            while generation == round {
                if failed { return }
                if !condition.wait(until: deadline) {
                    failed = true
                    condition.broadcast()
                    return
                }
            }
        }
        for i in 0..<buffer.count { buffer[i] = result[i] }
    }

    private final class Replica: BatchStatisticsReducer, Sendable {
        let group: LockstepReplicas
        let rank: Int
        init(group: LockstepReplicas, rank: Int) { self.group = group; self.rank = rank }
        func sumAcrossReplicas(_ buffer: UnsafeMutableBufferPointer<Double>) { group.sum(rank: rank, buffer) }
    }

    /// Carries non-Sendable values into the replica threads; `run` documents the contract.
    private final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }
}
