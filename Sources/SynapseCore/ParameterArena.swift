/// All of a model's parameters in ONE contiguous buffer, with named views into it, and their
/// gradients in a second buffer with the same layout.
///
/// Why: the gradient all-reduce becomes one call on one buffer, an optimizer step is one flat
/// loop, broadcasting initial weights is one call, and a checkpoint writes the buffer under
/// the parameters' names. (llm.c does the same with its `params_memory`.)
///
/// Entries are ordered by name as the model lists them (`fc1.weight`, `fc1.bias`, ...); the
/// order is fixed by the model's structure, never by allocation order.
public final class ParameterArena {
    /// One named parameter: where it sits in the arena and its shape.
    public struct Entry: Sendable, Equatable {
        /// Dotted name, e.g. `fc1.weight`.
        public let name: String
        /// Offset of the first element in `values` / `grads`.
        public let offset: Int
        /// Shape of the parameter.
        public let shape: [Int]
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The parameters' layout, in model order.
    public let entries: [Entry]
    /// Total number of floats.
    public let count: Int
    /// All parameter values.
    public let values: UnsafeMutableBufferPointer<Float>
    /// All gradients, same layout as `values`.
    public let grads: UnsafeMutableBufferPointer<Float>
    /// A few floats stored right after the gradients, for per-step control flags that travel
    /// in the same all-reduce as the gradients (one collective per step instead of two).
    public let controlSlots: UnsafeMutableBufferPointer<Float>
    /// `grads` followed by `controlSlots`: the one buffer the gradient all-reduce sends.
    public let gradsAndControl: UnsafeMutableBufferPointer<Float>
    /// Number of control slots.
    public static let controlSlotCount = 4
    /// The parameter tensors (views into `values`, their `grad` views into `grads`), in
    /// `entries` order.
    public let tensors: [Tensor]

    /// Moves the given named parameters into a new arena: their current values are copied in
    /// and each tensor is re-pointed at its view, so the model now lives in the arena.
    public init(parameters: [(name: String, tensor: Tensor)]) {
        var names = Set<String>()
        var entries: [Entry] = []
        var offset = 0
        for (name, t) in parameters {
            precondition(names.insert(name).inserted, "ParameterArena: duplicate parameter name '\(name)'")
            entries.append(Entry(name: name, offset: offset, shape: t.shape))
            offset += t.count
        }
        self.entries = entries
        self.count = offset
        values = UnsafeMutableBufferPointer(start: allocateAlignedFloats(offset), count: max(offset, 1))
        gradsAndControl = UnsafeMutableBufferPointer(start: allocateAlignedFloats(offset + Self.controlSlotCount),
                                                     count: offset + Self.controlSlotCount)
        grads = UnsafeMutableBufferPointer(start: gradsAndControl.baseAddress!, count: offset)
        controlSlots = UnsafeMutableBufferPointer(start: gradsAndControl.baseAddress! + offset, count: Self.controlSlotCount)
        values.initialize(repeating: 0)
        gradsAndControl.initialize(repeating: 0)
        tensors = parameters.map(\.tensor)
        for (e, t) in zip(entries, tensors) {
            (values.baseAddress! + e.offset).update(from: t.pointer, count: e.count)
            t.storage = Storage(viewOf: values.baseAddress! + e.offset, count: e.count, owner: self)
            t.grad = Tensor(shape: e.shape,
                            storage: Storage(viewOf: grads.baseAddress! + e.offset, count: e.count, owner: self))
        }
    }

    deinit {
        values.deallocate()
        gradsAndControl.deallocate()
    }

    /// Sets every gradient (and control slot) to zero: one memset over the buffer.
    public func zeroGrads() {
        gradsAndControl.update(repeating: 0)
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The parameter tensor called `name`, if any.
    public func tensor(named name: String) -> Tensor? {
        guard let i = entries.firstIndex(where: { $0.name == name }) else { return nil }
        return tensors[i]
    }

    /// The index in `entries` of `tensor` (the very object), if it is one of this arena's parameters.
    public func index(of tensor: Tensor) -> Int? { tensors.firstIndex { $0 === tensor } }

    /// Contiguous index ranges of parameters that currently require gradients (not frozen).
    /// Optimizers update only these, so frozen parameters stay exactly as they are.
    public var trainableRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        for (e, t) in zip(entries, tensors) where t.requiresGrad {
            let r = e.offset..<(e.offset + e.count)
            if let last = ranges.last, last.upperBound == r.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<r.upperBound
            } else {
                ranges.append(r)
            }
        }
        return ranges
    }

    /// Whether weight decay acts on each entry (in `entries` order). All true until
    /// `setWeightDecay(where:)` says otherwise.
    public private(set) lazy var takesWeightDecay = [Bool](repeating: true, count: entries.count)

    /// Chooses the parameters an optimizer's weight decay shrinks: those for which `decays`
    /// is true. Transformers decay matrices only (nanoGPT's two parameter groups): biases and
    /// norm gains stay free.
    public func setWeightDecay(where decays: (Entry) -> Bool) {
        takesWeightDecay = entries.map(decays)
    }

    /// `trainableRanges` cut where the weight-decay choice changes: contiguous index ranges of
    /// trainable parameters that all take weight decay, or all do not. Optimizers with a
    /// weight decay loop over these.
    public var trainableDecaySegments: [(range: Range<Int>, decays: Bool)] {
        var segments: [(range: Range<Int>, decays: Bool)] = []
        for (k, (e, t)) in zip(entries, tensors).enumerated() where t.requiresGrad {
            let r = e.offset..<(e.offset + e.count), decays = takesWeightDecay[k]
            if let last = segments.last, last.range.upperBound == r.lowerBound, last.decays == decays {
                segments[segments.count - 1].range = last.range.lowerBound..<r.upperBound
            } else {
                segments.append((r, decays))
            }
        }
        return segments
    }

    /// Number of trainable (not frozen) parameters.
    public var trainableCount: Int { trainableRanges.reduce(0) { $0 + $1.count } }
}
