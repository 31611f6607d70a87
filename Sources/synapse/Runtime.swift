import Foundation
import SynapseComm
import SynapseMPI
import SynapseCore

/// Process-wide setup: the communicator (MPI when launched by mpirun, otherwise a single
/// rank without touching MPI), BLAS threads, and the shutdown that finalizes MPI once.
enum Runtime {
    nonisolated(unsafe) private static var comm: (any Communicator)?

    /// The communicator, created on first use.
    static func communicator() throws -> any Communicator {
        if let comm { return comm }
        let c: any Communicator = try makeCommunicator()
        comm = c
        return c
    }

    /// This rank's index if the communicator exists, else 0.
    static var rankIfStarted: Int { comm?.rank ?? 0 }

    /// Sets OpenBLAS threads for this rank and warns when ranks × threads exceed the cores.
    static func configureThreads(_ threads: Int, ranks: Int, rank: Int) {
        BLAS.threads = threads
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if ranks * threads > cores && rank == 0 {
            FileHandle.standardError.write(Data("warning: \(ranks) rank(s) × \(threads) BLAS thread(s) = \(ranks * threads) threads on \(cores) cores; expect a slowdown (one thread per rank is fastest when the ranks fill the cores)\n".utf8))
        }
    }

    /// Finalizes MPI if it was started. Called once, on every path out of `main`.
    static func shutdown() {
        finalizeCommunicator(comm)
        comm = nil
    }
}
