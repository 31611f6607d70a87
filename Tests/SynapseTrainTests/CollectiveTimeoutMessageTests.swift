import Testing
import Foundation
import SynapseComm
@testable import SynapseTrain

/// What the watchdog's message says about the rank that did not arrive.
@Suite struct CollectiveTimeoutMessageTests {
    @Test func theMissingRanksAreNamedFromTheRollCall() {
        func missing(rank: Int, size: Int, alsoWaiting: [Int]?) -> String {
            var timeout = CollectiveTimeout(operation: "MPI_Iallreduce", limit: 5, waited: 5.2, rank: rank, size: size)
            timeout.alsoWaiting = alsoWaiting
            return timeout.missing
        }
        #expect(missing(rank: 0, size: 2, alsoWaiting: nil) == "rank 1 did not arrive")
        #expect(missing(rank: 1, size: 2, alsoWaiting: nil) == "rank 0 did not arrive")
        #expect(missing(rank: 0, size: 4, alsoWaiting: nil) == "one or more of the other 3 ranks did not arrive")
        #expect(missing(rank: 0, size: 4, alsoWaiting: [1, 3]) == "rank 2 did not arrive")
        #expect(missing(rank: 3, size: 4, alsoWaiting: [1]) == "ranks 0, 2 did not arrive")
        #expect(missing(rank: 1, size: 3, alsoWaiting: []) == "ranks 0, 2 did not arrive")
        #expect(missing(rank: 1, size: 3, alsoWaiting: [0, 2]) == "every other rank was waiting too (a collective that cannot complete)")
        var timeout = CollectiveTimeout(operation: "MPI_Iallreduce", limit: 5, waited: 5.2, rank: 0, size: 3)
        timeout.alsoWaiting = [1]
        #expect(timeout.adding("at step 12 (epoch 1)").description.contains("at step 12 (epoch 1) (MPI_Iallreduce); rank 2 did not arrive"))
    }
}

/// The checkpoint a timed-out run names is the one `--resume auto` will take: rank 0 writes a
/// checkpoint completely before the ranks agree that it is saved, and when a rank is stopped
/// in between, the newest checkpoint on disk is newer than the last agreed one.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CollectiveTimeoutCheckpointTests {
    @Test func theNewestCheckpointOnDiskIsNamed() throws {
        let run = try ScratchDirectory("timeout-checkpoint")
        defer { run.remove() }
        let trainer = try TrainerFixture.trainer(try TrainerFixture.config(), in: run)
        _ = try trainer.run(resumeFrom: nil)   // writes step-00000030 and points latest at it
        let older = URL(fileURLWithPath: run.path + "/checkpoints/step-00000010")   // the last one "agreed"
        let timeout = CollectiveTimeout(operation: "MPI_Iallreduce", limit: 5, waited: 5, rank: 0, size: 2)
        let error = trainer.collectiveTimeout(timeout, state: TrainingProgress(), inStep: false, lastCheckpoint: older)
        let text = String(describing: error)
        #expect(text.contains("The last good checkpoint \(run.path)/checkpoints/step-00000030 is intact"), "\(text)")
        // No checkpoint on disk at all: the one it was told about, or none.
        let empty = try ScratchDirectory("timeout-no-checkpoint")
        defer { empty.remove() }
        let fresh = try TrainerFixture.trainer(try TrainerFixture.config(), in: empty)
        let none = String(describing: fresh.collectiveTimeout(timeout, state: TrainingProgress(), inStep: true, lastCheckpoint: nil))
        #expect(none.contains("The last good checkpoint (none yet) is intact"), "\(none)")
    }
}
