import CMPI
import Foundation

/// How many threads of this process may call MPI, as requested from `MPI_Init_thread`.
///
/// Ordered like the MPI constants: `.single < .funneled < .serialized < .multiple`.
/// Reference: MPI 4.0 standard, §11.2.1 "Initialization".
public enum MPIThreadLevel: Int, Sendable, Comparable, CustomStringConvertible {
    /// Only one thread exists in the process.
    case single
    /// Only the thread that initialized MPI calls it.
    case funneled
    /// Any thread may call MPI, but never two at the same time.
    case serialized
    /// Any thread, concurrently (each concurrent caller needs its own communicator).
    case multiple

    /// The MPI constant (`MPI_THREAD_SINGLE` ...) for this level.
    var mpiValue: Int32 {
        switch self {
        case .single: cmpi_thread_single()
        case .funneled: cmpi_thread_funneled()
        case .serialized: cmpi_thread_serialized()
        case .multiple: cmpi_thread_multiple()
        }
    }

    /// The level for an MPI constant; an unknown value maps to `.single` (the weakest).
    init(mpiValue: Int32) {
        self = [.multiple, .serialized, .funneled].first { $0.mpiValue == mpiValue } ?? .single
    }

    /// Orders the levels from the weakest (`.single`) to the strongest (`.multiple`).
    public static func < (lhs: MPIThreadLevel, rhs: MPIThreadLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// `"MPI_THREAD_SERIALIZED"` etc.
    public var description: String {
        switch self {
        case .single: "MPI_THREAD_SINGLE"
        case .funneled: "MPI_THREAD_FUNNELED"
        case .serialized: "MPI_THREAD_SERIALIZED"
        case .multiple: "MPI_THREAD_MULTIPLE"
        }
    }
}

/// Serializes MPI_Init_thread / MPI_Finalize: MPI may be started once and stopped once per
/// process, and a second MPI_Init (or one after MPI_Finalize) aborts the whole process.
private let lifecycleLock = NSLock()

/// The process-wide MPI lifecycle. MPI itself remembers whether it was initialized or
/// finalized (`MPI_Initialized`, `MPI_Finalized`, both callable at any time), so no Swift
/// state is kept here beyond the lock.
enum MPIRuntime {
    /// Whether MPI_Finalize has run in this process (after which no MPI call is allowed).
    static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Initializes MPI once per process and returns the thread level MPI granted.
    ///
    /// A later call returns the level granted by the first one. Without mpirun this makes the
    /// process a singleton job of size 1 (Open MPI: ~0.4 s).
    static func initialize(requesting level: MPIThreadLevel) throws -> MPIThreadLevel {
        lifecycleLock.lock()
        defer { lifecycleLock.unlock() }
        if isFinalized {
            throw MPIError(operation: "MPI_Init_thread", message: """
                MPI was already finalized in this process and cannot be started again; \
                create the communicator once and finalize it only at exit
                """)
        }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        var provided: Int32 = 0
        if initialized != 0 {
            try MPIError.check(MPI_Query_thread(&provided), "MPI_Query_thread")
        } else {
            try MPIError.check(MPI_Init_thread(nil, nil, level.mpiValue, &provided), "MPI_Init_thread")
        }
        let granted = MPIThreadLevel(mpiValue: provided)
        if granted < level {
            // Every rank gets the same answer from the same library, so all of them finalize
            // and throw here together: no rank is left waiting in a collective.
            if initialized == 0 { MPI_Finalize() }
            throw MPIError(operation: "MPI_Init_thread", message: """
                requested \(level) but this MPI library grants only \(granted); request a \
                lower level or use an MPI built with thread support
                """)
        }
        return granted
    }

    /// Calls MPI_Finalize unless it already ran. Idempotent and safe from any thread.
    static func finalize() throws {
        lifecycleLock.lock()
        defer { lifecycleLock.unlock() }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        guard initialized != 0, !isFinalized else { return }
        try MPIError.check(MPI_Finalize(), "MPI_Finalize")
    }
}
