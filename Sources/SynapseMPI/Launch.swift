import Foundation
import SynapseComm

/// How this process was started, read from the launcher's environment before MPI starts.
///
/// mpirun (Open MPI) sets `OMPI_COMM_WORLD_SIZE` in every rank; Slurm's `srun --mpi=pmix`
/// sets `PMIX_RANK`. A process with neither was started by hand: it can skip MPI entirely
/// (MPI_Init of a singleton costs ~0.4 s) and train with `LocalCommunicator`.
///
/// Ask before MPI starts: Open MPI's singleton MPI_Init sets these same variables in the
/// process's own environment, after which `isUnderMPI` is true for a hand-started process.
public enum Launch {
    /// Environment variables whose presence means "started by an MPI launcher".
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK"]

    /// Whether an MPI launcher (mpirun, srun --mpi=pmix) started this process.
    public static var isUnderMPI: Bool { isUnderMPI(environment: ProcessInfo.processInfo.environment) }

    /// `isUnderMPI` for a given environment (testable without touching the real one).
    public static func isUnderMPI(environment: [String: String]) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// The communicator for this process: `MPICommunicator` under an MPI launcher,
    /// `LocalCommunicator` otherwise.
    ///
    /// The caller owns the MPI lifecycle: before exiting, call `finalize()` when the result
    /// is an `MPICommunicator` (`(comm as? MPICommunicator)?.finalize()`).
    /// - Throws: `MPIError` if MPI cannot start.
    public static func makeCommunicator(threadLevel: MPIThreadLevel = .serialized) throws -> any Communicator {
        if isUnderMPI { return try MPICommunicator.makeFromEnvironment(threadLevel: threadLevel) }
        return LocalCommunicator()
    }
}
