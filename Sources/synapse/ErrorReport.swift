import Foundation
import SynapseCore
import SynapseTrain

/// Turns an error into one clear message on standard error and an exit status.
enum ErrorReport {
    /// Whether the error is one of Synapse's own (as opposed to an argument-parsing error).
    static func isKnown(_ error: Error) -> Bool {
        error is any UserFacingError || error is TrainingFailure || error is SilentStop || error is AgreedFailure
    }

    /// Prints the error and returns the exit status: 2 for bad input, 1 for failures.
    /// Errors that every rank shares are printed by rank 0 only (see `agreeOnSuccess`).
    static func report(_ error: Error) -> Int32 {
        if error is SilentStop { return ExitStatus.of(error).rawValue }
        let rank = Runtime.rankIfStarted
        let text = String(describing: error)   // the description of our errors
        FileHandle.standardError.write(Data(("error: " + (rank > 0 ? "rank \(rank): " : "") + text + "\n").utf8))
        return status(for: error)
    }

    /// Whether every rank leaves with this error at the same point (so MPI can be finalized
    /// normally): input errors and failures the ranks agreed on. Anything else (an MPI error,
    /// an I/O error on one rank) may leave other ranks in a collective: abort the job instead.
    static func isAgreedByAllRanks(_ error: Error) -> Bool {
        error is SilentStop || error is TrainingFailure || error is any UserFacingError || error is AgreedFailure
    }

    static func status(for error: Error) -> Int32 { ExitStatus.of(error).rawValue }
}
