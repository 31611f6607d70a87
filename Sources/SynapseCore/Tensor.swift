/// An n-dimensional array of `Float32` values, stored contiguously in row-major order,
/// that can take part in reverse-mode automatic differentiation.
///
/// A tensor produced by an op while gradients are enabled remembers how it was made
/// (`gradNode`); `backward()` on a scalar loss walks those records in reverse and accumulates
/// `grad` on every tensor that `requiresGrad`.
public final class Tensor {
    /// Extent of each dimension, outermost first: `[N, C, H, W]`, `[N, features]`, ...
    public let shape: [Int]
    /// Number of elements (product of `shape`).
    public let count: Int
    /// Where the values live. Parameters point into a `ParameterArena`.
    public internal(set) var storage: Storage
    /// Gradient of the loss with respect to this tensor (same shape), filled by `backward()`.
    public var grad: Tensor?
    /// Whether `backward()` should compute a gradient for this tensor.
    public var requiresGrad: Bool
    /// How this tensor was computed; `nil` for leaves (inputs, parameters).
    public internal(set) var gradNode: GradNode?
    /// Set on the output of `embedding(ids:weight:)`: this tensor is rows `ids` of a table.
    /// A recurrent layer that reads it multiplies the table's V rows by W_ih instead of the
    /// B·T looked-up copies (see `inputProjection`). No op writes into an existing tensor, so
    /// it stays true for the tensor's life.
    public internal(set) var gatheredRows: GatheredRows?

    /// Wraps existing storage (which must hold at least `shape`'s element count).
    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(storage.count >= n, "Tensor: storage of \(storage.count) floats is too small for shape \(shape)")
        self.shape = shape
        self.count = n
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor of the given shape whose contents are not initialized (filled by the caller).
    public convenience init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: Storage(uninitializedCount: shape.reduce(1, *)))
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *),
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        self.requiresGrad = requiresGrad
        values.withUnsafeBufferPointer { src in
            storage.base.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// A tensor filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        storage.base.update(repeating: value, count: count)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// The values as a buffer pointer (row-major), for kernels.
    @inlinable public var data: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: storage.base, count: count)
    }

    /// Pointer to the first value.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.base }

    /// A copy of the values as a Swift array (row-major).
    public var scalars: [Float] { Array(data) }

    /// The single value of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item(): tensor of shape \(shape) has \(count) elements")
        return storage.base[0]
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// A tensor with the same values and a new shape of the same element count, sharing
    /// storage. Differentiable: the gradient flows back unchanged.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = known == 0 ? 0 : count / known
        }
        precondition(s.reduce(1, *) == count, "reshaped(to:): \(shape) cannot become \(newShape)")
        let out = Tensor(shape: s, storage: storage)
        if isRecording(self) {
            out.record(inputs: [self]) { _, gOut in
                guard self.requiresGrad else { return }
                guard let g = self.grad else {
                    // The output's gradient is complete when this runs (its consumers ran
                    // first) and nothing writes to it afterwards, so the input can take the
                    // same buffer, seen in its own shape, instead of a copy.
                    self.grad = Tensor(shape: self.shape, storage: gOut.storage)
                    return
                }
                let src = gOut.pointer, dst = g.pointer
                for i in 0..<g.count { dst[i] += src[i] }
            }
        }
        return out
    }

    /// A new tensor with a copy of the values, not connected to the graph.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.base.update(from: storage.base, count: count)
        return t
    }

    /// The same values, cut off from the graph (no gradient flows through).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }
}

extension Tensor: CustomStringConvertible {
    /// Shape plus the first few values.
    public var description: String {
        let head = data.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}
