/// Reverse-mode automatic differentiation.
///
/// Every differentiable op that runs while gradients are enabled calls `record(inputs:backward:)`
/// on its output. `backward()` sorts the recorded graph topologically and runs each node's
/// backward rule from the loss down to the leaves; each rule *adds* into its inputs' `grad`
/// (so a tensor used twice receives both contributions). Ops are coarse (linear, softmax +
/// cross-entropy, ...) so the bookkeeping costs little next to the arithmetic.

/// What produced a tensor: its inputs and the rule that turns the output's gradient into
/// contributions to the inputs' gradients.
public final class GradNode {
    /// The tensors the op read.
    public let inputs: [Tensor]
    /// `backward(output, outputGrad)` adds the op's contribution to each input's `grad`.
    /// The output is passed in (not captured) so that no reference cycle forms.
    public let backward: (_ output: Tensor, _ outputGrad: Tensor) -> Void

    init(inputs: [Tensor], backward: @escaping (Tensor, Tensor) -> Void) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record the graph on the current task/thread (`noGrad` turns it off).
public enum GradMode {
    /// True unless inside `noGrad`: ops then record the nodes that backward walks.
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording the graph: for evaluation and in-place parameter updates.
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false) { try body() }
}

/// Whether an op reading `inputs` must record itself.
@inlinable public func isRecording(_ inputs: Tensor...) -> Bool {
    GradMode.isEnabled && inputs.contains { $0.requiresGrad }
}

extension Tensor {
    /// Marks this tensor as the output of an op and remembers how to differentiate it.
    /// Call only when `isRecording(inputs...)` is true.
    public func record(inputs: [Tensor], backward: @escaping (Tensor, Tensor) -> Void) {
        requiresGrad = true
        gradNode = GradNode(inputs: inputs, backward: backward)
    }

    /// Runs `body` on this tensor's gradient buffer (created zero-filled if needed) when the
    /// tensor requires a gradient; does nothing otherwise. Backward rules add into it.
    @inlinable
    public func accumulateGrad(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        guard requiresGrad else { return }
        body(gradBuffer())
    }

    /// Like `accumulateGrad`, for a backward rule that can store its contribution instead of
    /// adding it: when this tensor has no gradient yet, the new buffer is handed over
    /// UNINITIALIZED with `fresh` true, and the rule must write every element. That saves a
    /// pass that zeroes a buffer only to add into it (the input gradient of a large
    /// activation: megabytes per step).
    @inlinable
    public func storeOrAccumulateGrad(_ body: (_ grad: UnsafeMutableBufferPointer<Float>, _ fresh: Bool) -> Void) {
        guard requiresGrad else { return }
        if let g = grad { return body(g.data, false) }
        let g = Tensor(uninitializedShape: shape)
        grad = g
        body(g.data, true)
    }

    /// This tensor's gradient buffer, created zero-filled on first use.
    public func gradBuffer() -> UnsafeMutableBufferPointer<Float> {
        if let g = grad { return g.data }
        let g = Tensor(shape: shape, repeating: 0)
        grad = g
        return g.data
    }

    /// Back-propagates from this tensor. For a scalar loss the seed gradient is 1; otherwise
    /// pass `gradient` of the same shape.
    ///
    /// After the pass, intermediate tensors drop their graph records and gradients (as PyTorch
    /// frees the graph), so their buffers go back to the pool. Leaves keep `grad`.
    public func backward(gradient: Tensor? = nil) {
        runBackward(gradient: gradient, order: topologicalOrder()) { _ in }
    }

    /// The pass itself over `order` (this tensor's `topologicalOrder()`): seeds the gradient,
    /// runs each rule from the loss down, calls `ruleDidRun(position in order)` after each
    /// recorded node (also one that no gradient reached),
    /// then frees the graph.
    func runBackward(gradient: Tensor?, order: [Tensor], ruleDidRun: (Int) -> Void) {
        precondition(requiresGrad, "backward(): this tensor does not require a gradient")
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape, "backward(): gradient shape \(gradient.shape) != \(shape)")
            seed = gradient
        } else {
            precondition(count == 1, "backward(): a non-scalar tensor of shape \(shape) needs an explicit gradient")
            seed = Tensor(shape: shape, repeating: 1)
        }
        accumulateGrad { g in
            for i in 0..<g.count { g[i] += seed.data[i] }
        }
        for position in order.indices.reversed() {
            let t = order[position]
            guard let node = t.gradNode else { continue }
            if let g = t.grad { node.backward(t, g) }   // no gradient reached t: nothing to pass on
            ruleDidRun(position)
        }
        for t in order where t.gradNode != nil {
            t.gradNode = nil
            t.grad = nil
        }
    }

    /// Tensors reachable from this one through recorded inputs, each after all of its inputs.
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var seen = Set<ObjectIdentifier>()
        // Iterative DFS (deep nets, e.g. unrolled RNNs, would overflow a recursive one).
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            guard seen.insert(ObjectIdentifier(t)).inserted else { continue }
            stack.append((t, true))
            for input in t.gradNode?.inputs ?? [] where input.requiresGrad
                && !seen.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
