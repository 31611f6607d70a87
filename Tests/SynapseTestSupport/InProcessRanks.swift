import Foundation
import Testing
import SynapseComm

/// `count` ranks of a data-parallel job in one process, each on its own thread with its own
/// `Communicator` — the test fake of an MPI job, blocking and non-blocking collectives alike.
///
/// The k-th collective of every rank is matched with the k-th of the others (as MPI matches
/// them); a mismatch (another operation or length) fails the test. Sums are taken in rank
/// order in the buffer's own element type, the same way for a blocking and a non-blocking
/// all-reduce, so results are deterministic. It is stricter than MPI where that finds bugs:
///
/// - a non-blocking all-reduce contributes the buffer as it is when STARTED, and the buffer
///   must not change until the request completes — a gradient written into a bucket already in
///   flight fails the test ("written while in flight") instead of silently racing;
/// - a rank that waits `timeout` seconds for the others fails the test instead of hanging.
public final class InProcessRanks: @unchecked Sendable {
    /// Number of ranks.
    public let count: Int
    /// Whether the ranks pretend to be on more than one machine (`Communicator.spansMachines`).
    public let spansMachines: Bool
    private let timeout: TimeInterval
    private let condition = NSCondition()
    // Guarded by `condition`: the open rounds by sequence number, and the problems seen.
    private var rounds: [Int: Round] = [:]
    private var problems: [String] = []

    /// A job of `count` ranks whose collectives wait at most `timeout` seconds for each other;
    /// `spansMachines` is what their communicators report (`Communicator.spansMachines`).
    public init(count: Int, timeout: TimeInterval = 60, spansMachines: Bool = false) {
        precondition(count > 0)
        self.count = count
        self.spansMachines = spansMachines
        self.timeout = timeout
    }

    /// Runs `body(communicator)` for every rank at once, each on its own thread, and returns
    /// the results by rank. `body` must touch only its own rank's objects.
    public func run<R>(sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: (_ comm: any Communicator) throws -> R) throws -> [R] {
        let results = Box<[Result<R, Error>?]>(Array(repeating: nil, count: count))
        withoutActuallyEscaping(body) { body in
            let work = Box<Optional>(body)
            let done = DispatchGroup()
            for rank in 0..<count {
                done.enter()
                let comm = RankCommunicator(group: self, rank: rank)
                let thread = Thread {
                    let r = Result { try work.value!(comm) }
                    self.condition.lock()
                    results.value[rank] = r
                    self.condition.unlock()
                    done.leave()
                }
                thread.stackSize = 64 << 20
                thread.start()
            }
            done.wait()
            work.value = nil
        }
        for problem in problems { Issue.record(Comment(rawValue: "InProcessRanks: " + problem), sourceLocation: sourceLocation) }
        return try results.value.map { try $0!.get() }
    }

    /// The contributions to one collective, by rank.
    fileprivate final class Round {
        let operation: String
        var contributions: [[UInt8]?]
        var result: [UInt8]? = nil
        init(operation: String, count: Int) {
            self.operation = operation
            contributions = Array(repeating: nil, count: count)
        }
    }

    /// Adds rank `rank`'s contribution to collective number `sequence`; completes the round
    /// (with `combine` over the contributions in rank order) when it is the last one.
    fileprivate func contribute(rank: Int, sequence: Int, operation: String, bytes: [UInt8],
                                combine: @escaping ([[UInt8]]) -> [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        let round = rounds[sequence] ?? Round(operation: operation, count: count)
        rounds[sequence] = round
        if round.operation != operation {
            problems.append("collective #\(sequence): rank \(rank) called \(operation) while another rank called \(round.operation)")
        }
        round.contributions[rank] = bytes
        if round.contributions.allSatisfy({ $0 != nil }) {
            let all = round.contributions.map { $0! }
            if Set(all.map(\.count)).count > 1 {
                problems.append("collective #\(sequence) (\(operation)): buffers of different lengths \(all.map(\.count))")
                round.result = all[0]
            } else {
                round.result = combine(all)
            }
            condition.broadcast()
        }
    }

    /// The result of collective `sequence`, waiting for it when `blocking` (nil on timeout, or
    /// when not blocking and not complete yet).
    fileprivate func result(sequence: Int, rank: Int, blocking: Bool) -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let round = rounds[sequence], let result = round.result { return result }
            if !blocking { return nil }
            if !condition.wait(until: deadline) {
                problems.append("rank \(rank) waited \(timeout) s for collective #\(sequence) that the other ranks never made")
                return nil
            }
        }
    }

    fileprivate func record(_ problem: String) {
        condition.lock()
        problems.append(problem)
        condition.unlock()
    }

    /// Carries non-Sendable values into the rank threads; `run` documents the contract.
    private final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }
}

/// The error a rank's collective throws when the others never came (the test has failed).
public struct InProcessRanksTimeout: Error {}

/// One rank's view of an `InProcessRanks` job.
private final class RankCommunicator: Communicator, @unchecked Sendable {   // used by its rank's thread only
    let group: InProcessRanks
    let rank: Int
    var size: Int { group.count }
    var spansMachines: Bool { group.spansMachines }
    private var sequence = 0

    init(group: InProcessRanks, rank: Int) {
        self.group = group
        self.rank = rank
    }

    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws {
        try startAllReduce(buffer, op: op).wait()
    }

    func allReduce(_ buffer: UnsafeMutableBufferPointer<Double>, op: ReduceOp) throws {
        try start("allReduce(Double, \(op))", buffer, combine: Self.reduction(Double.self, op)).wait()
    }

    func startAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws -> any CollectiveRequest {
        start("allReduce(Float, \(op))", buffer, combine: Self.reduction(Float.self, op))
    }

    func startAllGather(_ send: UnsafeBufferPointer<Float>, into receive: UnsafeMutableBufferPointer<Float>) throws
        -> any CollectiveRequest {
        precondition(receive.count == send.count * size, "startAllGather: receive holds \(receive.count) floats, expected \(size) × \(send.count)")
        let bytes = Array(UnsafeRawBufferPointer(send))
        let operation = "allGather(Float)"
        group.contribute(rank: rank, sequence: sequence, operation: operation, bytes: bytes, combine: { $0.flatMap { $0 } })
        defer { sequence += 1 }
        return FakeRequest(group: group, rank: rank, sequence: sequence, operation: operation, buffer: receive,
                           started: Array(UnsafeRawBufferPointer(receive)))
    }

    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        let bytes = UnsafeMutableBufferPointer(start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        try start("broadcast(root \(root))", bytes, combine: { $0[root] }).wait()
    }

    func barrier() throws {
        var none: [UInt8] = []
        try none.withUnsafeMutableBufferPointer { try start("barrier", $0, combine: { _ in [] }).wait() }
    }

    /// Contributes `buffer` as it is now to the next collective and returns its request.
    private func start<E>(_ operation: String, _ buffer: UnsafeMutableBufferPointer<E>,
                          combine: @escaping ([[UInt8]]) -> [UInt8]) -> FakeRequest<E> {
        let bytes = Array(UnsafeRawBufferPointer(buffer))
        group.contribute(rank: rank, sequence: sequence, operation: operation, bytes: bytes, combine: combine)
        defer { sequence += 1 }
        return FakeRequest(group: group, rank: rank, sequence: sequence, operation: operation, buffer: buffer, started: bytes)
    }

    /// Elementwise sum (in rank order) or max of contributions of element type `E`.
    static func reduction<E: BinaryFloatingPoint>(_ type: E.Type, _ op: ReduceOp) -> ([[UInt8]]) -> [UInt8] {
        { all in
            let values = all.map { bytes in bytes.withUnsafeBytes { Array($0.bindMemory(to: E.self)) } }
            var out = values[0]
            for other in values.dropFirst() {
                for i in out.indices { out[i] = op == .sum ? out[i] + other[i] : Swift.max(out[i], other[i]) }
            }
            return out.withUnsafeBytes { Array($0) }
        }
    }
}

/// A collective of the fake: completes once every rank contributed; on completion checks that
/// the buffer was left alone since the start, then writes the result into it.
private final class FakeRequest<E>: CollectiveRequest {
    let group: InProcessRanks
    let rank: Int, sequence: Int
    let operation: String
    let buffer: UnsafeMutableBufferPointer<E>
    let started: [UInt8]
    private var done = false

    init(group: InProcessRanks, rank: Int, sequence: Int, operation: String,
         buffer: UnsafeMutableBufferPointer<E>, started: [UInt8]) {
        (self.group, self.rank, self.sequence, self.operation, self.buffer, self.started) = (group, rank, sequence, operation, buffer, started)
    }

    func test() throws -> Bool {
        if done { return true }
        guard let result = group.result(sequence: sequence, rank: rank, blocking: false) else { return false }
        complete(result)
        return true
    }

    func wait() throws {
        if done { return }
        guard let result = group.result(sequence: sequence, rank: rank, blocking: true) else { throw InProcessRanksTimeout() }
        complete(result)
    }

    private func complete(_ result: [UInt8]) {
        done = true
        let raw = UnsafeMutableRawBufferPointer(buffer)
        if Array(raw) != started {
            let changed = zip(Array(raw), started).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
            group.record("rank \(rank): the buffer of collective #\(sequence) (\(operation), \(buffer.count) elements) "
                         + "was written while in flight (first changed byte \(changed))")
        }
        if result.count == raw.count { raw.copyBytes(from: result) }
    }
}
