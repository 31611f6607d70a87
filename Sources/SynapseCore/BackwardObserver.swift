/// Watches a backward pass: told the moment each watched leaf's gradient is final (no rule
/// still to run will add to it), and called between backward rules.
///
/// This is what lets data-parallel training send a bucket of gradients while backward is still
/// computing the rest (PyTorch DDP's gradient hooks do the same job): a parameter's gradient is
/// final after the LAST rule that reads it runs, which for a parameter used by several ops — a
/// tied token embedding (input lookup and output layer), a weight shared across time steps —
/// is its last use in backward order, not its first.
public protocol BackwardObserver: AnyObject {
    /// The leaves (parameters) whose gradients are watched; `gradientIsFinal` names them by
    /// their index in this array.
    var watchedLeaves: [Tensor] { get }
    /// `watchedLeaves[index]`'s gradient is final for this pass. Called once per watched leaf
    /// per pass: right after the last rule that reads the leaf; before the first rule for a
    /// leaf no rule can write (frozen: `requiresGrad` false); after the last rule for a
    /// trainable leaf that no rule reads (unused — or written by a rule that does not list it
    /// among its inputs, which must then not be sent early).
    func gradientIsFinal(_ index: Int)
    /// Called after every backward rule: a moment to make progress on communication.
    func backwardRuleDidRun()
}

extension Tensor {
    /// `backward(gradient:)` that tells `observer` when each of its watched leaves' gradients is
    /// final and calls it between rules. The arithmetic is exactly that of `backward`.
    public func backward(gradient: Tensor? = nil, observer: any BackwardObserver) {
        let leaves = observer.watchedLeaves
        var index: [ObjectIdentifier: Int] = [:]
        for (i, leaf) in leaves.enumerated() { index[ObjectIdentifier(leaf)] = i }
        // remaining[i]: rules still to run that read leaf i (a rule that reads it twice counts once).
        var remaining = [Int](repeating: 0, count: leaves.count)
        let order = topologicalOrder()
        var readers: [[Int]] = []   // per node in `order`, the watched leaves it reads
        readers.reserveCapacity(order.count)
        for t in order {
            var reads: [Int] = []
            for input in t.gradNode?.inputs ?? [] {
                if let i = index[ObjectIdentifier(input)], !reads.contains(i) { reads.append(i) }
            }
            for i in reads { remaining[i] += 1 }
            readers.append(reads)
        }
        let unread = leaves.indices.filter { remaining[$0] == 0 }
        for i in unread where !leaves[i].requiresGrad { observer.gradientIsFinal(i) }
        runBackward(gradient: gradient, order: order) { position in
            for i in readers[position] {
                remaining[i] -= 1
                if remaining[i] == 0 { observer.gradientIsFinal(i) }
            }
            observer.backwardRuleDidRun()
        }
        for i in unread where leaves[i].requiresGrad { observer.gradientIsFinal(i) }
    }
}
