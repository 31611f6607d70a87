import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Catches SIGTERM, SIGUSR1, SIGINT (Ctrl-C) and SIGHUP (the terminal closed) and turns them
/// into a flag the training loop reads at each step boundary: the run stops there, writes a
/// checkpoint and exits with status 75, so no work since the last checkpoint is lost.
///
/// The flag is only a request: the trainer ORs it across ranks in the per-step control
/// all-reduce, so every rank stops at the same step even if the signal reached only one
/// (mpirun forwards SIGUSR1 to all ranks at once, Slurm's `scancel --signal` may not).
/// The handler runs on a Dispatch queue, never inside the signal context, and must be
/// `@Sendable` (a main-actor closure here crashed both ranks with SIGILL on Swift 6).
///
/// A SECOND SIGINT quits at once with status 130 (128 + SIGINT) and no checkpoint: the way
/// out when the step or the checkpoint takes too long for the person at the keyboard. The
/// first one says so on standard error. SIGINT and SIGHUP that the process inherited as
/// ignored (`nohup`, a background job of a script) stay ignored.
public final class StopSignal: @unchecked Sendable {  // sources are only touched in init/deinit
    /// The signals `synapse train` stops on.
    public static let stopSignals: [Int32] = [SIGTERM, SIGUSR1, SIGINT, SIGHUP]
    /// The exit status after a second SIGINT.
    public static let interruptedStatus = ExitStatus.interrupted.rawValue

    private let requested = Atomic<Int32>(0)
    private let interrupts = Atomic<Int>(0)
    private let sources: [any DispatchSourceSignal]

    /// Installs handlers for `signals` (default `stopSignals`).
    public init(signals: [Int32] = StopSignal.stopSignals) {
        let caught = signals.filter { !(($0 == SIGINT || $0 == SIGHUP) && Self.isIgnored($0)) }
        var made: [any DispatchSourceSignal] = []
        for sig in caught {
            signal(sig, SIG_IGN)   // let the DispatchSource see it instead of the default action
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            made.append(src)
        }
        sources = made
        for (src, sig) in zip(sources, caught) {
            let source = SignalSourceReference(source: src)
            src.setEventHandler { @Sendable [weak self] in
                guard let self else { return }
                self.requested.store(sig, ordering: .relaxed)
                // `data`: how many arrived since the handler last ran (two quick Ctrl-Cs may
                // come as one call).
                if sig == SIGINT { self.interrupted(times: Int(source.source.data)) }
            }
            src.resume()
        }
    }

    /// Counts SIGINTs (`times` arrived since the handler last ran): the first asks for the
    /// stop, the second ends the process.
    private func interrupted(times: Int) {
        let before = interrupts.add(max(times, 1), ordering: .relaxed).oldValue
        if before + max(times, 1) >= 2 {
            Self.writeToStandardError("\ninterrupted again: quitting now without a checkpoint (exit status \(Self.interruptedStatus))\n")
            _exit(Self.interruptedStatus)
        }
        Self.writeToStandardError("\ninterrupt: stopping at the end of this step and saving a checkpoint "
                                  + "(exit status 75; --resume auto continues); press Ctrl-C again to quit at once without one\n")
    }

    /// Writes with write(2), ignoring errors: after SIGHUP the terminal may be gone, and a
    /// failed write must not stop the checkpoint.
    private static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Whether `sig`'s disposition is "ignore" (inherited from the parent).
    private static func isIgnored(_ sig: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(sig, nil, &current) == 0 else { return false }
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// The signal number received, or 0 if none yet.
    public var signalNumber: Int32 { requested.load(ordering: .relaxed) }

    /// Whether a stop was requested.
    public var isRequested: Bool { signalNumber != 0 }

    /// Requests a stop as if a signal had arrived (tests, early stopping).
    public func request(signal: Int32 = SIGUSR1) { requested.store(signal, ordering: .relaxed) }

    deinit {
        for s in sources { s.cancel() }
    }
}

/// A signal source handed to its own event handler, which reads how many signals arrived
/// (`data`). Only that handler reads it, on the source's queue, so the unchecked Sendable holds;
/// the cycle source → handler → source ends when `deinit` cancels the source (libdispatch
/// releases a cancelled source's handler).
private struct SignalSourceReference: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
