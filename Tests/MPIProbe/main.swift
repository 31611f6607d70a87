// mpi-probe: exercises MPICommunicator under a real mpirun and prints what every rank got,
// one `rank=R key=value` line per result, for MPICommunicatorTests to compare with values
// computed by hand. Modes:
//   mpi-probe                          collectives with known inputs (any number of ranks)
//   mpi-probe --bench-allreduce N [--count C]
//                                      median time of N in-place float sum all-reduces of C
//                                      floats (default 235,146 = the Fashion-MNIST MLP's
//                                      gradient arena, 0.94 MB); rank 0 prints it
//   mpi-probe --mismatch               broadcast with a shorter buffer on ranks > 0 (run with 2
//                                      ranks): the receiver must throw MPI_ERR_TRUNCATE
//   mpi-probe --abort CODE             the last rank aborts while the others wait in a barrier
import Foundation
import SynapseComm
import SynapseMPI

/// Collects this rank's result lines and writes them in one write, so lines of different
/// ranks do not interleave mid-line in mpirun's forwarded output.
final class Report {
    let rank: Int
    private var lines: [String] = []
    init(rank: Int) { self.rank = rank }
    func add(_ key: String, _ value: String) { lines.append("rank=\(rank) \(key)=\(value)") }
    func add<T>(_ key: String, _ values: [T]) { add(key, values.map { "\($0)" }.joined(separator: ",")) }
    func flush() {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write((lines.joined(separator: "\n") + "\n").data(using: .utf8)!)
        lines.removeAll()
    }
}

func runChecks(_ comm: MPICommunicator, launchedByMPI: Bool, _ report: Report) throws {
    let r = comm.rank, n = comm.size
    report.add("size", "\(n)")
    report.add("under_mpi", "\(launchedByMPI)")
    report.add("thread_level", "\(comm.threadLevel)")

    var floats: [Float] = [Float(r + 1), Float(10 * (r + 1)), -Float(r + 1), 0.5]
    try floats.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
    report.add("float_sum", floats)

    floats = [Float(r + 1), -Float(r + 1), 7]
    try floats.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
    report.add("float_max", floats)

    var doubles: [Double] = [0.25 * Double(r + 1), 1e15 + Double(r)]
    try doubles.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
    report.add("double_sum", doubles)

    doubles = [-Double(r + 1), Double(r) * 1.5]
    try doubles.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
    report.add("double_max", doubles)

    var empty: [Float] = []
    try empty.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
    report.add("empty_sum", "ok")

    let root = n - 1
    let sent = "from-rank-\(root)"
    let text = r == root ? sent : String(repeating: "x", count: sent.utf8.count)
    let received = try comm.broadcast(bytes: Array(text.utf8), root: root)
    report.add("broadcast", String(decoding: received, as: UTF8.self))

    report.add("all_gather", try comm.allGather(UInt64(1000 + r * r)))
    try comm.barrier()

    // Chunked path: a second communicator that sends at most 3 elements per MPI call.
    let chunked = try MPICommunicator.makeFromEnvironment(maxCountPerCall: 3)
    var ramp = (0..<10).map { Float($0 * (r + 1)) }
    try ramp.withUnsafeMutableBufferPointer { try chunked.allReduce($0, op: .sum) }
    report.add("chunked_sum", ramp)
    var bytes = r == 0 ? Array("0123456789".utf8) : [UInt8](repeating: 0, count: 10)
    try bytes.withUnsafeMutableBytes { try chunked.broadcast($0, root: 0) }
    report.add("chunked_broadcast", String(decoding: bytes, as: UTF8.self))

    comm.finalize()
    comm.finalize()
    report.add("finalized", "\(comm.isFinalized),\(chunked.isFinalized)")
    do {
        try chunked.barrier()
        report.add("after_finalize", "no error")
    } catch {
        report.add("after_finalize", "\(error)")
    }
}

func benchAllReduce(_ comm: MPICommunicator, calls: Int, count: Int, _ report: Report) throws {
    var gradients = [Float](repeating: 0, count: count)  // zeros: repeated sums stay finite
    var seconds = [Double](repeating: 0, count: calls)
    try gradients.withUnsafeMutableBufferPointer { buffer in
        for _ in 0..<10 { try comm.allReduce(buffer, op: .sum) }  // warm up connections
        for i in 0..<calls {
            try comm.barrier()  // time the all-reduce alone, not the wait for a late rank
            let start = DispatchTime.now().uptimeNanoseconds
            try comm.allReduce(buffer, op: .sum)
            seconds[i] = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
    }
    // A call lasts as long as its slowest rank.
    try seconds.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .max) }
    let sorted = seconds.sorted()
    let micro = { (q: Double) in String(format: "%.1f", sorted[Int(q * Double(calls - 1))] * 1e6) }
    if comm.isRoot {
        report.add("bench_allreduce", "count=\(count) bytes=\(count * 4) ranks=\(comm.size) calls=\(calls) "
                   + "median_us=\(micro(0.5)) p10_us=\(micro(0.1)) p90_us=\(micro(0.9))")
    }
}

func mismatchedBroadcast(_ comm: MPICommunicator, _ report: Report) {
    var bytes = [UInt8](repeating: 7, count: comm.isRoot ? 64 : 8)
    do {
        try bytes.withUnsafeMutableBytes { try comm.broadcast($0, root: 0) }
        report.add("mismatch", "no error")
    } catch {
        report.add("mismatch", "\(error)")
    }
}

func intArgument(after flag: String, default value: Int? = nil) -> Int? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: flag) else { return value }
    guard i + 1 < args.count, let parsed = Int(args[i + 1]) else {
        FileHandle.standardError.write("mpi-probe: \(flag) needs an integer\n".data(using: .utf8)!)
        exit(2)
    }
    return parsed
}

do {
    let launchedByMPI = Launch.isUnderMPI  // before MPI_Init, which sets the same variables
    let comm = try MPICommunicator.makeFromEnvironment()
    let report = Report(rank: comm.rank)
    if let calls = intArgument(after: "--bench-allreduce") {
        try benchAllReduce(comm, calls: calls, count: intArgument(after: "--count", default: 235_146)!, report)
    } else if CommandLine.arguments.contains("--mismatch") {
        mismatchedBroadcast(comm, report)
    } else if let code = intArgument(after: "--abort") {
        if comm.rank == comm.size - 1 {
            report.add("aborting", "\(code)")
            report.flush()
            comm.abort(code: Int32(code))
        }
        try comm.barrier()  // the other ranks wait here until mpirun kills them
        report.add("abort", "not reached")
    } else {
        try runChecks(comm, launchedByMPI: launchedByMPI, report)
    }
    report.flush()
    comm.finalize()
} catch {
    FileHandle.standardError.write("mpi-probe: \(error)\n".data(using: .utf8)!)
    exit(1)
}
