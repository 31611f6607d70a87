import Testing
import SynapseComm

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
