import CMPI
import Foundation
import SynapseComm

/// The `Communicator` of a job launched by `mpirun` (or `srun --mpi=pmix`), over Open MPI.
///
/// Lifecycle, once per process:
/// 1. `makeFromEnvironment()` calls `MPI_Init_thread` (a process started without mpirun
///    becomes a singleton job of size 1, ~0.4 s with Open MPI; `Launch.isUnderMPI` lets the
///    CLI use `LocalCommunicator` instead and skip that), sets `MPI_ERRORS_RETURN` so failing
///    calls throw `MPIError` instead of killing the job, and works on its own duplicate of
///    `MPI_COMM_WORLD` so its collectives never match messages of other code in the process.
/// 2. Collectives, from one thread at a time (the training thread; never from inside an
///    async task that can block the cooperative pool's only thread per rank).
/// 3. The CLI calls `finalize()` before every exit on which all ranks agree (success, a user
///    error every rank detected the same way, "stopped by signal"). On a failure only one rank
///    sees, it calls `abort(code:)` so the other ranks do not wait in a collective forever.
///    Exiting without either is also safe but noisy: mpirun sees a rank "exiting improperly"
///    and kills the others.
///
/// All-reduce algorithm: Open MPI picks one per message size ("tuned" collective component).
/// To force the ring algorithm, set for every rank `OMPI_MCA_coll_tuned_use_dynamic_rules=1` and
/// `OMPI_MCA_coll_tuned_allreduce_algorithm=4` (equivalently `mpirun --mca
/// coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4`; the value 0 means
/// "Open MPI decides", 1 basic linear, 2 non-overlapping, 3 recursive doubling, 4 ring,
/// 5 segmented ring, 6 Rabenseifner). `launch/synapse-mpirun --allreduce ring` does this.
/// Measure before changing it (`mpi-probe --bench-allreduce N --count C`). On 2 ranks of one
/// 2-core machine: 235,146 floats (0.94 MB, the Fashion-MNIST MLP's gradients) ~101 µs with
/// either; 10M floats 19 ms default, 10.4 ms ring.
public final class MPICommunicator: Communicator {
    /// This process's index in the job, 0..<size.
    public let rank: Int
    /// Number of ranks in the job (1 for a singleton started without mpirun).
    public let size: Int
    /// The thread level MPI granted (at least the one requested).
    public let threadLevel: MPIThreadLevel
    /// Most elements (bytes for `broadcast`) passed to one MPI call. MPI counts are Int32, so
    /// longer buffers are sent as consecutive chunks; smaller values exist only to test that.
    public let maxCountPerCall: Int
    /// The collective watchdog (`train.collective_timeout`): seconds a rank waits for any
    /// collective before it throws `CollectiveTimeout` (the CLI then aborts the job); 0 = wait
    /// forever in the blocking MPI calls. When on, every collective runs as its non-blocking
    /// form (`MPI_Iallreduce`, `MPI_Ibcast`, `MPI_Ibarrier`, `MPI_Iallgather`) polled with
    /// `MPI_Test` against the deadline: no watchdog thread, no MPI call from a second thread.
    public var collectiveTimeout: Double = 0
    /// Whether the job's ranks are on more than one machine: fewer ranks share this rank's
    /// memory (`MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`, at creation) than the job has.
    public let spansMachines: Bool
    /// Synapse's duplicate of MPI_COMM_WORLD; nil once `finalize()` has run.
    private var comm: MPI_Comm?
    /// A second duplicate, for the watchdog's roll call only (its messages never meet a collective's).
    private var rollCallComm: MPI_Comm?
    /// The roll call's message (this rank's number), never freed: sends left in flight read it.
    private let rollCallMessage = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    private init(comm: MPI_Comm, rank: Int, size: Int, spansMachines: Bool, threadLevel: MPIThreadLevel, maxCountPerCall: Int) {
        self.comm = comm
        self.rank = rank
        self.size = size
        self.spansMachines = spansMachines
        var dup: MPI_Comm?
        if MPI_Comm_dup(comm, &dup) == cmpi_success() { rollCallComm = dup }
        self.threadLevel = threadLevel
        self.maxCountPerCall = maxCountPerCall
    }

    /// Initializes MPI (once per process) and returns a communicator over all ranks of the job.
    ///
    /// Reads the job's shape from the launcher (mpirun or Slurm's PMIx); without one the
    /// process is a job of one rank. Calling it again returns another communicator over the
    /// same ranks; calling it after `finalize()` throws (MPI cannot be restarted).
    /// - Parameters:
    ///   - threadLevel: what to request from `MPI_Init_thread`. `.serialized` (the default)
    ///     allows MPI calls from whichever thread runs the training loop, one at a time.
    ///   - maxCountPerCall: chunk length for long buffers, 1...Int32.max (keep the default).
    /// - Throws: `MPIError` if MPI cannot start or grants a lower thread level.
    public static func makeFromEnvironment(
        threadLevel: MPIThreadLevel = .serialized,
        maxCountPerCall: Int = Int(Int32.max)
    ) throws -> MPICommunicator {
        precondition((1...Int(Int32.max)).contains(maxCountPerCall),
                     "maxCountPerCall must be in 1...Int32.max, got \(maxCountPerCall)")
        let granted = try MPIRuntime.initialize(requesting: threadLevel)
        let world = cmpi_comm_world()
        // Set on WORLD before duplicating: the duplicate inherits the handler, and errors in
        // calls on WORLD itself (MPI_Abort aside) also come back as codes.
        try MPIError.check(MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var dup: MPI_Comm?
        try MPIError.check(MPI_Comm_dup(world, &dup), "MPI_Comm_dup")
        guard let comm = dup else {
            throw MPIError(operation: "MPI_Comm_dup", message: "returned no communicator")
        }
        var rank: Int32 = 0, size: Int32 = 0
        try MPIError.check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
        var local: MPI_Comm?
        try MPIError.check(MPI_Comm_split_type(comm, cmpi_comm_type_shared(), rank, cmpi_info_null(), &local),
                           "MPI_Comm_split_type")
        var localSize: Int32 = 0
        try MPIError.check(MPI_Comm_size(local, &localSize), "MPI_Comm_size")
        MPI_Comm_free(&local)
        return MPICommunicator(comm: comm, rank: Int(rank), size: Int(size), spansMachines: localSize < size,
                               threadLevel: granted, maxCountPerCall: maxCountPerCall)
    }

    /// Whether `finalize()` has run (here or on another communicator of this process).
    public var isFinalized: Bool { comm == nil || MPIRuntime.isFinalized }

    /// Ends MPI for this process. Idempotent; the CLI calls it once before exiting.
    ///
    /// Every rank must call it (Open MPI's MPI_Finalize synchronizes with the launcher), so
    /// call it only on exit paths all ranks take; use `abort(code:)` on the others. Errors
    /// from MPI_Finalize are ignored: there is nothing left to do about them at exit, and
    /// Open MPI prints its own diagnostic.
    public func finalize() {
        if !MPIRuntime.isFinalized, comm != nil { MPI_Comm_free(&comm) }
        if !MPIRuntime.isFinalized, rollCallComm != nil { MPI_Comm_free(&rollCallComm) }
        rollCallComm = nil
        comm = nil
        try? MPIRuntime.finalize()
    }

    /// Kills every rank of the job with exit status `code` (`MPI_Abort`); never returns.
    ///
    /// For fatal errors seen by one rank only (a corrupt file on one node, an internal error):
    /// the other ranks may be waiting in a collective and would hang until the time limit.
    /// Print the reason first; this flushes stdout/stderr before aborting. mpirun then exits
    /// with `code`. After `finalize()` it simply exits the process.
    public func abort(code: Int32) -> Never {
        fflush(nil)
        if !MPIRuntime.isFinalized { MPI_Abort(cmpi_comm_world(), code) }
        exit(code)
    }

    /// Replaces `buffer` on every rank with the elementwise sum or max over ranks, in place
    /// (`MPI_Allreduce` with `MPI_IN_PLACE`), in chunks of at most `maxCountPerCall`.
    /// - Shape: the same element count on every rank; an empty buffer makes no MPI call.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        try allReduceInPlace(buffer, type: cmpi_float(), op: op)
    }

    /// Double-precision `allReduce` (metric sums that must not lose precision).
    /// - Shape: the same element count on every rank.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {
        try allReduceInPlace(buffer, type: cmpi_double(), op: op)
    }

    /// Copies `buffer` from rank `root` to every other rank (`MPI_Bcast` of bytes, chunked).
    /// - Shape: the same byte count on every rank (broadcast the length first if it varies);
    ///   a shorter buffer on a receiving rank throws `MPI_ERR_TRUNCATE`.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        precondition((0..<size).contains(root), "broadcast root \(root) outside 0..<\(size)")
        let comm = try activeComm("MPI_Bcast")
        guard let base = buffer.baseAddress else { return }
        if collectiveTimeout > 0 {
            return try watched("MPI_Ibcast", count: buffer.count) { offset, count, request in
                MPI_Ibcast(base + offset, count, cmpi_byte(), Int32(root), comm, request)
            }.wait()
        }
        try forEachChunk(of: buffer.count) { offset, count in
            try MPIError.check(MPI_Bcast(base + offset, count, cmpi_byte(), Int32(root), comm), "MPI_Bcast")
        }
    }

    /// Returns when every rank has reached it (`MPI_Barrier`).
    public func barrier() throws {
        let comm = try activeComm("MPI_Barrier")
        if collectiveTimeout > 0 {
            return try watched("MPI_Ibarrier", count: 1) { _, _, request in MPI_Ibarrier(comm, request) }.wait()
        }
        try MPIError.check(MPI_Barrier(comm), "MPI_Barrier")
    }

    /// Starts an in-place float all-reduce (`MPI_Iallreduce` with `MPI_IN_PLACE`, one request
    /// per chunk of at most `maxCountPerCall`) and returns its request at once. `buffer` must
    /// stay untouched until the request completes; every rank starts its requests in the same
    /// order. An empty buffer returns a completed request.
    public func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        let comm = try activeComm("MPI_Iallreduce")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return CompletedRequest() }
        let mpiOp = Self.mpiOp(op)
        return try watched("MPI_Iallreduce", count: buffer.count) { offset, count, request in
            MPI_Iallreduce(cmpi_in_place(), base + offset, count, cmpi_float(), mpiOp, comm, request)
        }
    }

    /// Starts gathering every rank's `send` block into `receive` (`MPI_Iallgather` of floats;
    /// rank r's block at `r · send.count`) and returns its request at once. Both buffers must
    /// stay untouched until it completes. One call, not chunked: a block longer than
    /// `maxCountPerCall` throws (the receive layout cannot be cut per chunk).
    /// - Shape: send [n] → receive [size · n], the same n on every rank.
    public func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        let comm = try activeComm("MPI_Iallgather")
        precondition(receive.count == send.count * size,
                     "startAllGather: receive holds \(receive.count) floats, expected \(size) × \(send.count)")
        guard send.count > 0, let source = send.baseAddress, let target = receive.baseAddress else { return CompletedRequest() }
        guard send.count <= maxCountPerCall else {
            throw MPIError(operation: "MPI_Iallgather",
                           message: "a block of \(send.count) floats is longer than one call may send (\(maxCountPerCall))")
        }
        let count = Int32(send.count)
        var request: MPI_Request? = cmpi_request_null()
        try MPIError.check(MPI_Iallgather(source, count, cmpi_float(), target, count, cmpi_float(), comm, &request),
                           "MPI_Iallgather")
        return MPIRequest(operation: "MPI_Iallgather", communicator: self, requests: [request])
    }

    /// The watchdog's roll call, made by a rank whose collective timed out (more than two ranks):
    /// it tells every other rank "I am waiting" (a one-integer message on a communicator of its
    /// own) and listens for `grace` seconds for the same from the others, whose collectives
    /// time out too when one rank never arrives. Returns the ranks that said so: the ones
    /// missing from it are the ones that did not arrive. Best effort (any MPI error ends it
    /// with what it heard); the job is aborted right after.
    func rollCall(grace: Double) -> [Int] {
        guard let roll = rollCallComm, !MPIRuntime.isFinalized else { return [] }
        rollCallMessage.pointee = Int32(rank)
        for other in 0..<size where other != rank {
            var request: MPI_Request? = cmpi_request_null()   // left in flight: the job is aborted next
            _ = MPI_Isend(rollCallMessage, 1, cmpi_int32(), Int32(other), Self.rollCallTag, roll, &request)
        }
        var heard = Set<Int>()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(grace, 0) * 1e9)
        while heard.count < size - 1 && DispatchTime.now().uptimeNanoseconds < deadline {
            var flag: Int32 = 0
            var status = MPI_Status()
            guard MPI_Iprobe(cmpi_any_source(), Self.rollCallTag, roll, &flag, &status) == cmpi_success() else { break }
            if flag == 0 { usleep(10_000); continue }
            var from: Int32 = 0
            guard MPI_Recv(&from, 1, cmpi_int32(), cmpi_status_source(&status), Self.rollCallTag, roll, cmpi_status_ignore())
                    == cmpi_success() else { break }
            heard.insert(Int(from))
        }
        return heard.sorted()
    }

    private static let rollCallTag: Int32 = 7

    /// Gathers one value from every rank; element `r` of the result is rank r's value.
    ///
    /// Used for the start-up config hash check (distributed rule 8): every rank sees every
    /// hash, so every rank can name the ranks whose config differs and all stop together.
    /// - Shape: scalar in, `[size]` out.
    public func allGather(_ value: UInt64) throws -> [UInt64] {
        let comm = try activeComm("MPI_Allgather")
        var mine = value
        var all = [UInt64](repeating: 0, count: size)
        // One pointer for `mine` for the whole operation: a non-blocking call keeps reading it.
        try withUnsafeMutablePointer(to: &mine) { send in
            try all.withUnsafeMutableBufferPointer { out in
                if collectiveTimeout > 0 {
                    return try watched("MPI_Iallgather", count: 1) { _, _, request in
                        MPI_Iallgather(send, 1, cmpi_uint64(), out.baseAddress, 1, cmpi_uint64(), comm, request)
                    }.wait()
                }
                try MPIError.check(MPI_Allgather(send, 1, cmpi_uint64(), out.baseAddress, 1, cmpi_uint64(), comm),
                                   "MPI_Allgather")
            }
        }
        return all
    }

    private func allReduceInPlace<Element>(
        _ buffer: UnsafeMutableBufferPointer<Element>, type: MPI_Datatype, op: ReduceOp
    ) throws {
        let comm = try activeComm("MPI_Allreduce")
        guard let base = buffer.baseAddress else { return }
        let mpiOp = Self.mpiOp(op)
        if collectiveTimeout > 0 {
            return try watched("MPI_Iallreduce", count: buffer.count) { offset, count, request in
                MPI_Iallreduce(cmpi_in_place(), base + offset, count, type, mpiOp, comm, request)
            }.wait()
        }
        try forEachChunk(of: buffer.count) { offset, count in
            try MPIError.check(MPI_Allreduce(cmpi_in_place(), base + offset, count, type, mpiOp, comm),
                               "MPI_Allreduce")
        }
    }

    private static func mpiOp(_ op: ReduceOp) -> MPI_Op {
        switch op {
        case .sum: cmpi_op_sum()
        case .max: cmpi_op_max()
        }
    }

    /// Starts a non-blocking collective, one request per chunk (`start(offset, count, &request)`
    /// returns the MPI error code), and returns the requests as one `MPIRequest`.
    private func watched(_ operation: String, count total: Int,
                         _ start: (_ offset: Int, _ count: Int32, _ request: UnsafeMutablePointer<MPI_Request?>) -> Int32)
        throws -> MPIRequest {
        var requests: [MPI_Request?] = []
        try forEachChunk(of: max(total, 1)) { offset, count in
            var request: MPI_Request? = cmpi_request_null()
            try MPIError.check(start(offset, count, &request), operation)
            requests.append(request)
        }
        return MPIRequest(operation: operation, communicator: self, requests: requests)
    }

    /// Calls `body(offset, count)` for consecutive chunks covering 0..<total; none if total is 0.
    private func forEachChunk(of total: Int, _ body: (_ offset: Int, _ count: Int32) throws -> Void) rethrows {
        var offset = 0
        while offset < total {
            let count = min(total - offset, maxCountPerCall)
            try body(offset, Int32(count))
            offset += count
        }
    }

    /// The communicator to call MPI on, or an error if MPI was finalized (any further MPI
    /// call would make Open MPI abort the process).
    private func activeComm(_ operation: String) throws -> MPI_Comm {
        guard let comm, !MPIRuntime.isFinalized else {
            throw MPIError(operation: operation, message: """
                called after finalize(); MPI cannot be used again in this process \
                (finalize only at exit)
                """)
        }
        return comm
    }
}
