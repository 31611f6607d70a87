import SynapseCore
import SynapseComm

/// The collective steps of data-parallel training, each one a rule from DESIGN.md.
/// Every function here is called by EVERY rank at the same point of the run.
public struct DistributedSync {
    /// The group of ranks.
    public let comm: any Communicator

    /// Wraps a communicator.
    public init(comm: any Communicator) { self.comm = comm }

    /// Rule 8: all ranks must run the same resolved config. Each rank contributes its hash in
    /// its own slot; all ranks then see which ranks differ from rank 0 and stop together.
    public func checkSameConfig(hash: UInt64) throws {
        let n = comm.size
        // Split the 64-bit hash into two exactly representable halves (Double has 53 bits).
        var slots = [Double](repeating: 0, count: 2 * n)
        slots[2 * comm.rank] = Double(hash >> 32)
        slots[2 * comm.rank + 1] = Double(hash & 0xFFFF_FFFF)
        let all = try comm.allReduce(slots, op: .sum)
        let mismatched = (1..<n).filter { all[2 * $0] != all[0] || all[2 * $0 + 1] != all[1] }
        if !mismatched.isEmpty {
            throw agreed(UserError("the resolved config differs between ranks: rank(s) \(mismatched.map(String.init).joined(separator: ", ")) "
                            + "do not match rank 0. Every rank must read the same config file and the same --set overrides "
                            + "(check that the file is identical on every host)."))
        }
    }

    /// Rule 2: start identical. Rank 0's parameter values are copied to every rank.
    public func broadcastParameters(_ arena: ParameterArena) throws {
        try comm.broadcast(UnsafeMutableRawBufferPointer(arena.values), root: 0)
    }

    /// Broadcasts any float buffer (optimizer state on resume) from rank 0.
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try comm.broadcast(UnsafeMutableRawBufferPointer(buffer), root: 0)
    }

    /// Flags agreed once per step (rule 4): any rank raising one raises it for all.
    public struct ControlFlags: Sendable, Equatable {
        /// A stop was requested (signal) on some rank.
        public var stop = false
        /// Some rank saw a non-finite loss.
        public var nonFiniteLoss = false
        /// After agreement: the rank that saw the non-finite loss when exactly one did.
        public var nonFiniteRank: Int? = nil
        /// After agreement: how many ranks saw a non-finite loss.
        public var nonFiniteRanks = 0
        /// Seconds of training so far: this rank's before agreement, rank 0's after (the one
        /// clock that time budgets and time-based schedules follow).
        public var trainingSeconds = 0.0
        /// Creates flags.
        public init(stop: Bool = false, nonFiniteLoss: Bool = false, trainingSeconds: Double = 0) {
            self.stop = stop; self.nonFiniteLoss = nonFiniteLoss; self.trainingSeconds = trainingSeconds
        }
    }

    /// Rules 4 and 5 in ONE all-reduce (`train.overlap: false`; the overlapped path is
    /// `beginOverlappedReduction`): the gradient arena is summed over ranks together with
    /// the control flags stored right after it (`ParameterArena.controlSlots`), so every rank
    /// gets the same gradient and takes the same decision at the same step.
    ///
    /// The gradients are already divided by the number of ranks (the trainer seeds each
    /// rank's backward pass with 1/size), so their sum is the gradient of the mean loss over
    /// the global batch: no pass over the arena to scale it. Flags are sums: > 0 means "some
    /// rank raised it"; the rank of a non-finite loss is recovered as Σ(rank + 1) when exactly
    /// one rank saw it. When a rank's loss is not finite its gradients are garbage too, and
    /// the caller skips the update on every rank.
    public func reduceGradients(_ arena: ParameterArena, flags local: ControlFlags) throws -> ControlFlags {
        writeFlags(local, into: arena)
        if comm.size > 1 { try comm.allReduce(arena.gradsAndControl, op: .sum) }
        return agreedFlags(in: arena)
    }

    /// Rules 4 and 5 with the all-reduce overlapped with backward (`train.overlap`): the flags
    /// are written into the control slots now, before the backward pass whose gradients are
    /// reduced, and ride in bucket 0 (the end of the arena, the first bucket sent). Run
    /// `backward(gradient:observer:)` with the returned reduction, then `finishReduction`.
    /// The layers in `factored` go as all-gathers of their factors (`FactoredLinearGradient`);
    /// with `startsDuringBackward` false every collective waits for `finishReduction`.
    func beginOverlappedReduction(_ arena: ParameterArena, buckets: GradientBuckets,
                                  factored: [FactoredLinearGradient] = [], startsDuringBackward: Bool = true,
                                  flags local: ControlFlags) -> OverlappedGradientReduction {
        writeFlags(local, into: arena)
        return OverlappedGradientReduction(arena: arena, plan: buckets, comm: comm, factored: factored,
                                           startsDuringBackward: startsDuringBackward)
    }

    /// Waits for the overlapped all-reduce begun by `beginOverlappedReduction` and returns the
    /// agreed flags.
    func finishReduction(_ reduction: OverlappedGradientReduction, arena: ParameterArena) throws -> ControlFlags {
        try reduction.finish()
        return agreedFlags(in: arena)
    }

    /// This rank's flags as sums-to-be in the control slots after the gradients.
    private func writeFlags(_ local: ControlFlags, into arena: ParameterArena) {
        let c = arena.controlSlots
        c[0] = local.stop ? 1 : 0
        c[1] = local.nonFiniteLoss ? 1 : 0
        c[2] = local.nonFiniteLoss ? Float(comm.rank + 1) : 0
        c[3] = comm.rank == 0 ? Float(local.trainingSeconds) : 0   // the sum is rank 0's clock
    }

    /// The flags every rank agreed on, read from the summed control slots.
    private func agreedFlags(in arena: ParameterArena) -> ControlFlags {
        let c = arena.controlSlots
        var agreed = ControlFlags(stop: c[0] > 0, nonFiniteLoss: c[1] > 0, trainingSeconds: Double(c[3]))
        agreed.nonFiniteRanks = Int(c[1])
        if agreed.nonFiniteRanks == 1 { agreed.nonFiniteRank = Int(c[2]) - 1 }
        return agreed
    }

    /// Rule 7: metric sums (loss sum, correct count, sample count, ...) added over ranks.
    public func sum(_ values: [Double]) throws -> [Double] {
        comm.size > 1 ? try comm.allReduce(values, op: .sum) : values
    }
}

extension DistributedSync {
    /// Runs a setup step that may fail on some ranks only (a missing file on one host, an
    /// unwritable directory on rank 0), then agrees on the outcome with one MAX all-reduce:
    /// if any rank failed, every rank throws, so none is left waiting in a later collective.
    ///
    /// So that a failure every rank shares (a bad config) is printed once, not N times: rank 0
    /// reports its own error, or names the failed ranks; another rank reports its error only
    /// when rank 0 did not fail, and otherwise stops silently (`SilentStop`).
    ///
    /// Every rank leaves with the SAME exit status, the one of rank 0's error if it failed,
    /// else of the lowest failed rank's (2 for bad input, 1 otherwise): mpirun reports the
    /// status of whichever rank exits first, so differing statuses would make it a race.
    public func agreeOnSuccess<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var result: Result<T, Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        var slots = [Double](repeating: 0, count: comm.size)   // each rank's exit status, 0 = success
        if case .failure(let error) = result { slots[comm.rank] = Double(ExitStatus.of(error).rawValue) }
        let all = comm.size > 1 ? try comm.allReduce(slots, op: .max) : slots
        let failed = all.indices.filter { all[$0] > 0 }
        guard let first = failed.first else {
            if case .success(let value) = result { return value }
            preconditionFailure("agreeOnSuccess: this rank failed but its slot says success")
        }
        let status = Int32(all[first])
        switch result {
        case .failure(let error):
            if comm.rank != 0 && failed.contains(0) { throw SilentStop(underlying: error, status: status) }
            throw AgreedFailure(underlying: error, status: status)
        case .success:
            if comm.rank == 0 {
                throw AgreedFailure(underlying: TrainingFailure("\(what) failed on rank(s) \(failed.map(String.init).joined(separator: ", ")) (see the message above); all ranks stopped"),
                                    status: status)
            }
            throw SilentStop(underlying: nil, status: status)
        }
    }
}

extension DistributedSync {
    /// An error that every rank has agreed on (same step, same all-reduced flags): rank 0
    /// reports it, the others stop silently with the same exit status.
    public func agreed(_ error: Error) -> Error {
        comm.rank == 0 ? error : SilentStop(underlying: error, status: ExitStatus.of(error).rawValue)
    }
}

/// An error every rank knows about (it went through `agreeOnSuccess`), so all ranks can
/// leave normally (MPI finalized, no abort). Prints like the error it wraps, and exits with
/// the status all ranks agreed on.
public struct AgreedFailure: Error, CustomStringConvertible {
    /// The error this rank saw.
    public let underlying: any Error
    /// The exit status every rank leaves with.
    public let status: Int32
    /// The underlying error's message.
    public var description: String { String(describing: underlying) }
}

/// Stops this rank without printing: another rank reports the problem.
public struct SilentStop: Error {
    /// This rank's own error, if it had one.
    public let underlying: (any Error)?
    /// The exit status every rank leaves with.
    public let status: Int32
}
