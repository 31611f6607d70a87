import SynapseCore

/// `maxPool2d` as a layer (PyTorch `nn.MaxPool2d`, dilation 1, floor mode).
/// - Shape: [N, C, H, W] → [N, C, Hout, Wout], Hout = (H + 2·ph − kH) / sh + 1.
public final class MaxPool2d: Module {
    /// Window (kH, kW).
    public let kernelSize: Size2D
    /// Step between windows (defaults to the kernel size).
    public let stride: Size2D
    /// −∞ padding on each side.
    public let padding: Size2D

    /// A max-pooling layer; `stride` defaults to `kernelSize` as in PyTorch.
    public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// `avgPool2d` as a layer (PyTorch `nn.AvgPool2d`, floor mode).
/// - Shape: [N, C, H, W] → [N, C, Hout, Wout], Hout = (H + 2·ph − kH) / sh + 1.
public final class AvgPool2d: Module {
    /// Window (kH, kW).
    public let kernelSize: Size2D
    /// Step between windows (defaults to the kernel size).
    public let stride: Size2D
    /// Zero padding on each side.
    public let padding: Size2D
    /// Whether padded zeros count in each window's divisor (PyTorch's default: true).
    public let countIncludePad: Bool

    /// An average-pooling layer; `stride` defaults to `kernelSize` as in PyTorch.
    public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// `globalAvgPool2d` as a layer: the mean of each channel (PyTorch
/// `nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()`).
/// - Shape: [N, C, H, W] → [N, C].
public final class GlobalAvgPool2d: Module {
    /// A global-average-pooling layer (it has no settings).
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { globalAvgPool2d(x) }
}
