import Foundation
import SynapseComm
import SynapseMPI
import SynapseCore
import SynapseTrain

/// Process-wide setup: the communicator (MPI when launched by mpirun or srun, otherwise a
/// single rank without touching MPI), BLAS threads, and the way out that ends MPI properly.
enum Runtime {
    nonisolated(unsafe) private static var comm: (any Communicator)?

    /// The communicator, created on first use.
    static func communicator() throws -> any Communicator {
        if let comm { return comm }
        let c = try Launch.makeCommunicator()
        comm = c
        return c
    }

    /// This rank's index if the communicator exists, else 0.
    static var rankIfStarted: Int { comm?.rank ?? 0 }

    /// Sets OpenBLAS threads for this rank and warns when ranks × threads exceed the cores;
    /// rank 0 also says when OpenBLAS's own kernel choice was overridden.
    static func configureThreads(_ threads: Int, ranks: Int, rank: Int) {
        BLAS.threads = threads
        if rank == 0, let note = KernelSelectionRestart.note { Console.note(note) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if ranks * threads > cores && rank == 0 {
            Console.warn("\(ranks) rank(s) × \(threads) BLAS thread(s) = \(ranks * threads) threads on \(cores) cores; "
                         + "expect a slowdown (one thread per rank is fastest when the ranks fill the cores)")
        }
    }

    /// Ends MPI on the way out. When every rank leaves by the same path (success, an error all
    /// ranks agreed on) MPI is finalized normally; when this rank alone failed, MPI_Abort kills
    /// the job so no other rank waits forever in a collective.
    static func shutdown(status: Int32, agreed: Bool) -> Never {
        fflush(nil)
        if let mpi = comm as? MPICommunicator {
            if agreed || mpi.size == 1 { mpi.finalize() } else { mpi.abort(code: status) }
        }
        exit(status)
    }
}
