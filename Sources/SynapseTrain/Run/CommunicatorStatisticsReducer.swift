import Foundation
import SynapseCore
import SynapseComm

/// Lets batch norm layers (which live below the communication layer) sum their batch
/// statistics over all ranks: SyncBatchNorm.
///
/// Batch norm calls it inside forward and backward, which cannot throw; an MPI failure there
/// leaves the ranks out of step, so it ends the process with a message (mpirun then stops the
/// job) rather than continuing with wrong statistics.
final class CommunicatorStatisticsReducer: BatchStatisticsReducer {
    let comm: any Communicator

    init(comm: any Communicator) { self.comm = comm }

    func sumAcrossReplicas(_ buffer: UnsafeMutableBufferPointer<Double>) {
        do {
            try comm.allReduce(buffer, op: .sum)
        } catch {
            FileHandle.standardError.write(Data("error: rank \(comm.rank): SyncBatchNorm all-reduce failed: \(error)\n".utf8))
            exit(ExitStatus.failure.rawValue)
        }
    }
}
