/// A collective that did not complete within the watchdog's limit (`train.collective_timeout`):
/// some rank never reached it (stopped, hung, crashed, or a network that dropped it), so
/// waiting longer would be a silent hang. The job must end: the CLI reports this error and
/// aborts every rank (`MPI_Abort`, exit status 1), as PyTorch's process-group timeout does.
///
/// The communicator fills in what it knows (the MPI operation, how long this rank waited);
/// the layers above add where in the run it happened (`context`, e.g. "at step 12 (epoch 1)
/// in the gradient all-reduce") as the error passes through them.
public struct CollectiveTimeout: Error, CustomStringConvertible, Sendable {
    /// The MPI operation, e.g. `MPI_Iallreduce`.
    public let operation: String
    /// The limit in seconds, and how long this rank had waited when it gave up.
    public let limit: Double, waited: Double
    /// The rank that waited, and the number of ranks.
    public let rank: Int, size: Int
    /// Where in the run, outermost last ("in the gradient all-reduce", "at step 12 (epoch 1)").
    public var context: [String] = []
    /// What the user can rely on and do (e.g. the last good checkpoint), appended last.
    public var advice: String? = nil
    /// The other ranks known to be waiting in a collective too, when the communicator could ask
    /// (with more than two ranks: `MPICommunicator`'s roll call); nil when nobody asked.
    public var alsoWaiting: [Int]? = nil

    /// A timeout of `operation` on `rank` of `size` after `waited` seconds (limit `limit`).
    public init(operation: String, limit: Double, waited: Double, rank: Int, size: Int) {
        self.operation = operation
        self.limit = limit
        self.waited = waited
        self.rank = rank
        self.size = size
    }

    /// This error with one more piece of context (the caller's view of where it happened).
    public func adding(_ where: String) -> CollectiveTimeout {
        var copy = self
        copy.context.append(`where`)
        return copy
    }

    /// The ranks that did not arrive, as far as one waiting rank can tell: with two ranks it is
    /// the other one; with more, those that did not answer the roll call of the waiting ranks
    /// (`alsoWaiting`), or any rank but this one when there was none (MPI itself does not say).
    public var missing: String {
        if size == 2 { return "rank \(1 - rank) did not arrive" }
        guard let alsoWaiting else { return "one or more of the other \(size - 1) ranks did not arrive" }
        let absent = (0..<size).filter { $0 != rank && !alsoWaiting.contains($0) }
        if absent.isEmpty { return "every other rank was waiting too (a collective that cannot complete)" }
        let names = absent.map(String.init).joined(separator: ", ")
        return absent.count == 1 ? "rank \(names) did not arrive" : "ranks \(names) did not arrive"
    }

    /// The whole message: who waited how long, where, which rank did not arrive, and the advice.
    public var description: String {
        let place = context.isEmpty ? "" : " " + context.joined(separator: " ")
        var text = "collective timeout: rank \(rank) waited \(formatted(waited)) s (train.collective_timeout: \(formatted(limit)))"
            + "\(place) (\(operation)); \(missing) (stopped, hung, crashed, or cut off from the network). "
            + "Aborting every rank."
        if let advice { text += " " + advice }
        return text
    }

    private func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e9 ? String(Int(seconds)) : String(Double(Int(seconds * 10)) / 10)
    }
}
