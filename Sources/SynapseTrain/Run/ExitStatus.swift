import SynapseCore

/// The process exit statuses of `synapse`, documented for scripts and schedulers.
public enum ExitStatus: Int32, Sendable {
    /// Finished normally.
    case success = 0
    /// Something failed at run time (non-finite loss, I/O error, MPI failure).
    case failure = 1
    /// The user's input is wrong: config, data files, arguments, checkpoint path.
    case userError = 2
    /// Stopped by a signal (SIGTERM, SIGUSR1, SIGINT, SIGHUP) at a step boundary after writing a checkpoint:
    /// "requeue me". 75 is EX_TEMPFAIL from sysexits.h: a temporary failure, try again.
    case stoppedCheckpointSaved = 75
    /// A second SIGINT (Ctrl-C) while the first one's checkpoint was still coming: quit at
    /// once without one (`StopSignal`). 130 = 128 + SIGINT, what a shell reports for Ctrl-C.
    case interrupted = 130
}

extension ExitStatus {
    /// The status a process ends with after `error`: the agreed one for errors that went
    /// through `agreeOnSuccess`, 2 for bad input (a `UserFacingError` whose `isBadInput`), 1
    /// for anything else (I/O failures such as a full disk while saving included).
    public static func of(_ error: any Error) -> ExitStatus {
        if let agreed = error as? AgreedFailure { return ExitStatus(rawValue: agreed.status) ?? .failure }
        if let silent = error as? SilentStop { return ExitStatus(rawValue: silent.status) ?? .failure }
        guard let input = error as? any UserFacingError else { return .failure }
        return input.isBadInput ? .userError : .failure
    }
}

/// An error the user can fix (bad config, missing data, bad arguments). Exits with status 2.
public struct UserError: UserFacingError, Sendable {
    /// What is wrong, where, and how to fix it.
    public let message: String
    /// Creates the error with its full message.
    public init(_ message: String) { self.message = message }
    /// The message, as printed.
    public var description: String { message }
}

/// A failure during training that is not the user's input (exit status 1).
public struct TrainingFailure: Error, CustomStringConvertible, Sendable {
    /// What happened.
    public let message: String
    /// Creates the failure with its full message.
    public init(_ message: String) { self.message = message }
    /// The message, as printed.
    public var description: String { message }
}
