import Testing
import SynapseComm
import SynapseCore
@testable import SynapseTrain

/// One rank's view of a job whose other ranks' contributions are given: `allReduce` combines
/// this rank's buffer with `others` (one array per other rank), as MPI would.
private final class ScriptedCommunicator: Communicator {
    let rank: Int, size: Int
    let others: [[Double]]
    init(rank: Int, size: Int, others: [[Double]]) { self.rank = rank; self.size = size; self.others = others }
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {}
    func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        CompletedRequest()
    }
    func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        Issue.record("agreeOnSuccess gathers no floats")
        return CompletedRequest()
    }
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {
        for other in others {
            for i in buffer.indices { buffer[i] = op == .max ? max(buffer[i], other[i]) : buffer[i] + other[i] }
        }
    }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    func barrier() throws {}
}

/// `agreeOnSuccess`: which rank reports, and that every rank leaves with the same exit status
/// (mpirun reports the status of whichever rank exits first).
@Suite struct AgreeOnSuccessTests {
    struct Outcome { let reports: Bool; let status: Int32? }

    /// What `rank` of 3 does when its own step throws `own` (nil: succeeds) and the other two
    /// ranks' slots (exit statuses, 0 = success) are `others`.
    func outcome(rank: Int, own: (any Error)?, others: [[Double]]) -> Outcome {
        let sync = DistributedSync(comm: ScriptedCommunicator(rank: rank, size: 3, others: others))
        do {
            try sync.agreeOnSuccess("loading") { if let own { throw own } }
            return Outcome(reports: false, status: nil)
        } catch let error as SilentStop {
            return Outcome(reports: false, status: ExitStatus.of(error).rawValue)
        } catch {
            return Outcome(reports: true, status: ExitStatus.of(error).rawValue)
        }
    }

    @Test func everyRankLeavesWithTheStatusOfRankZerosError() {
        // Rank 0 has bad input (2); rank 2 a failure (1); rank 1 is fine.
        let bad = UserError("bad input"), broken = TrainingFailure("broken")
        let zero = outcome(rank: 0, own: bad, others: [[0, 0, 0], [0, 0, 1]])
        let one = outcome(rank: 1, own: nil, others: [[2, 0, 0], [0, 0, 1]])
        let two = outcome(rank: 2, own: broken, others: [[2, 0, 0], [0, 0, 0]])
        #expect(zero.reports && zero.status == 2)
        #expect(!one.reports && one.status == 2)
        #expect(!two.reports && two.status == 2, "rank 0 failed, so rank 2 stays silent and agrees on 2")
    }

    @Test func withoutRankZeroTheLowestFailedRankDecides() {
        // Only rank 1 fails, with bad input: rank 0 names it, rank 2 is silent, all exit 2
        // (before, rank 0 exited 1 and the others 2, and mpirun reported either).
        let zero = outcome(rank: 0, own: nil, others: [[0, 2, 0], [0, 0, 0]])
        let one = outcome(rank: 1, own: UserError("data file missing on this host"), others: [[0, 0, 0], [0, 0, 0]])
        let two = outcome(rank: 2, own: nil, others: [[0, 2, 0], [0, 0, 0]])
        #expect(zero.reports && zero.status == 2)
        #expect(one.reports && one.status == 2)
        #expect(!two.reports && two.status == 2)
        // Ranks 1 (failure) and 2 (bad input) fail: rank 1's status wins everywhere.
        #expect(outcome(rank: 0, own: nil, others: [[0, 1, 0], [0, 0, 2]]).status == 1)
        #expect(outcome(rank: 2, own: UserError("x"), others: [[0, 0, 0], [0, 1, 0]]).status == 1)
    }

    @Test func successEverywhereReturnsTheValue() throws {
        let sync = DistributedSync(comm: ScriptedCommunicator(rank: 1, size: 3, others: [[0, 0, 0], [0, 0, 0]]))
        #expect(try sync.agreeOnSuccess("adding") { 40 + 2 } == 42)
    }
}
