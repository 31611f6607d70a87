/// A (height, width) pair of integers: a kernel size, stride, padding or dilation of a 2-D
/// convolution or pooling window.
///
/// PyTorch accepts either one int (used for both dimensions) or a pair; so does this type:
/// write `3` for a square 3×3 window, `[3, 5]` or `Size2D(3, 5)` for 3 rows × 5 columns.
public struct Size2D: Hashable, Sendable, CustomStringConvertible {
    /// Extent along the rows (the H dimension of [N, C, H, W]).
    public var height: Int
    /// Extent along the columns (the W dimension).
    public var width: Int

    /// A pair with different `height` and `width`.
    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same value for both dimensions, like passing one int to PyTorch.
    public init(_ both: Int) { self.init(both, both) }

    /// `"3×5"`.
    public var description: String { "\(height)×\(width)" }
}

extension Size2D: ExpressibleByIntegerLiteral {
    /// `3` means 3×3.
    public init(integerLiteral value: Int) { self.init(value) }
}

extension Size2D: ExpressibleByArrayLiteral {
    /// `[3, 5]` means height 3, width 5.
    public init(arrayLiteral elements: Int...) {
        precondition(elements.count == 2, "Size2D: expected [height, width], got \(elements)")
        self.init(elements[0], elements[1])
    }
}
