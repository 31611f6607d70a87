import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Catches SIGTERM and SIGUSR1 and turns them into a flag the training loop reads at each
/// step boundary.
///
/// The flag is only a request: the trainer ORs it across ranks in the per-step control
/// all-reduce, so every rank stops at the same step even if the signal reached only one
/// (mpirun forwards SIGUSR1 to all ranks at once, Slurm's `scancel --signal` may not).
/// The handler runs on a Dispatch queue, never inside the signal context, and must be
/// `@Sendable` (a main-actor closure here crashed both ranks with SIGILL on Swift 6).
public final class StopSignal: @unchecked Sendable {  // sources are only touched in init/deinit
    private let requested = Atomic<Int32>(0)
    private let sources: [any DispatchSourceSignal]

    /// Installs handlers for `signals` (default SIGTERM and SIGUSR1).
    public init(signals: [Int32] = [SIGTERM, SIGUSR1]) {
        var made: [any DispatchSourceSignal] = []
        for sig in signals {
            signal(sig, SIG_IGN)   // let the DispatchSource see it instead of the default action
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            made.append(src)
        }
        sources = made
        for (src, sig) in zip(sources, signals) {
            src.setEventHandler { @Sendable [weak self] in
                self?.requested.store(sig, ordering: .relaxed)
            }
            src.resume()
        }
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
