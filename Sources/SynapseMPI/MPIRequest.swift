import CMPI
import Dispatch
import Foundation
import SynapseComm

/// The requests of one non-blocking collective (one per chunk of at most `maxCountPerCall`
/// elements), as a `CollectiveRequest`.
///
/// `wait()` is where the collective watchdog lives: with a `collectiveTimeout` it polls
/// `MPI_Test` (which also drives Open MPI's progress engine) until the operation completes or
/// the limit passes, and then throws `CollectiveTimeout` instead of hanging; without one it
/// blocks in `MPI_Wait`. The limit counts from the moment this rank starts waiting, so time
/// spent computing while a bucket is in flight never counts against it, and neither does time
/// this process itself was stopped.
final class MPIRequest: CollectiveRequest {
    /// The MPI function that started it (`MPI_Iallreduce`), for errors.
    let operation: String
    private let communicator: MPICommunicator
    /// Still-pending requests; MPI sets each to MPI_REQUEST_NULL when it completes.
    private var pending: [MPI_Request?]

    init(operation: String, communicator: MPICommunicator, requests: [MPI_Request?]) {
        self.operation = operation
        self.communicator = communicator
        self.pending = requests
    }

    func test() throws -> Bool {
        while let last = pending.indices.last {
            var done: Int32 = 0
            try MPIError.check(MPI_Test(&pending[last], &done, cmpi_status_ignore()), "MPI_Test (\(operation))")
            if done == 0 { return false }
            pending.removeLast()
        }
        return true
    }

    func wait() throws {
        let limit = communicator.collectiveTimeout
        guard limit > 0 else {
            while let last = pending.indices.last {
                try MPIError.check(MPI_Wait(&pending[last], cmpi_status_ignore()), "MPI_Wait (\(operation))")
                pending.removeLast()
            }
            return
        }
        // The time waited counts only while this process runs: a gap between two polls longer
        // than `maxPollGap` means it was stopped (SIGSTOP, a suspended job) or starved, and
        // counting that pause would make a rank that is continued time out at once and blame
        // the ranks that were waiting for IT.
        let maxPollGap: UInt64 = 250_000_000
        var waitedNanoseconds: UInt64 = 0
        var last = DispatchTime.now().uptimeNanoseconds
        while try !test() {
            let now = DispatchTime.now().uptimeNanoseconds
            waitedNanoseconds += min(now - last, maxPollGap)
            last = now
            let waited = Double(waitedNanoseconds) * 1e-9
            if waited > limit {
                var timeout = CollectiveTimeout(operation: operation, limit: limit, waited: waited,
                                                rank: communicator.rank, size: communicator.size)
                if communicator.size > 2 {   // which ranks are waiting too? (they time out within the ranks' skew)
                    timeout.alsoWaiting = communicator.rollCall(grace: min(limit, 10))
                }
                throw timeout
            }
            sched_yield()   // let another process on an oversubscribed core run (the rank we wait for)
        }
    }
}
