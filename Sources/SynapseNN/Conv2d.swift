import SynapseCore

/// 2-D convolution layer (PyTorch `nn.Conv2d`, `groups = 1`, zero padding): applies
/// `conv2d` with a learned bank of `outChannels` filters of size inChannels × kH × kW.
///
/// Initialization matches PyTorch's default: weight and bias uniform in `±1/√fanIn` with
/// fanIn = inChannels·kH·kW (kaiming_uniform with a = √5 reduces to this bound).
/// - Shape: [N, inChannels, H, W] → [N, outChannels, Hout, Wout],
///   Hout = (H + 2·ph − dh·(kH − 1) − 1) / sh + 1 (same for W).
public final class Conv2d: Module {
    /// [outChannels, inChannels, kH, kW]
    public let weight: Tensor
    /// [outChannels], or nil without bias.
    public let bias: Tensor?
    /// Channels of the input.
    public let inChannels: Int
    /// Channels of the output (number of filters).
    public let outChannels: Int
    /// Filter size (kH, kW).
    public let kernelSize: Size2D
    /// Step between windows.
    public let stride: Size2D
    /// Zeros added on each side of the input.
    public let padding: Size2D
    /// Spacing between filter taps.
    public let dilation: Size2D

    /// Creates the layer, drawing its weights (then its bias) from `rng`.
    /// - Parameters:
    ///   - inChannels: channels of the input, C_in.
    ///   - outChannels: filters, the channels of the output, C_out.
    ///   - kernelSize: filter size; `5` means 5×5, `[3, 5]` means 3 rows × 5 columns.
    ///   - initializer: weight scheme with fanIn = inChannels·kH·kW and
    ///     fanOut = outChannels·kH·kW (PyTorch's fans for convolutions); the bias always
    ///     uses PyTorch's default.
    ///   - stride: step between windows.
    ///   - padding: zeros added on each side of the input.
    ///   - dilation: spacing between filter taps.
    ///   - useBias: whether the layer adds a learned bias per filter.
    ///   - rng: the generator the weights are drawn from.
    public init(inChannels: Int, outChannels: Int, kernelSize: Size2D, stride: Size2D = 1,
                padding: Size2D = 0, dilation: Size2D = 1, bias useBias: Bool = true,
                initializer: Initializer = .pytorchDefault, rng: inout RandomGenerator) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Conv2d: channel counts must be positive, got \(inChannels)→\(outChannels)")
        precondition(kernelSize.height > 0 && kernelSize.width > 0, "Conv2d: kernel size must be positive, got \(kernelSize)")
        precondition(stride.height > 0 && stride.width > 0, "Conv2d: stride must be positive, got \(stride)")
        precondition(dilation.height > 0 && dilation.width > 0, "Conv2d: dilation must be positive, got \(dilation)")
        precondition(padding.height >= 0 && padding.width >= 0, "Conv2d: padding must be non-negative, got \(padding)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        let taps = kernelSize.height * kernelSize.width
        weight = initializer.makeWeight(shape: [outChannels, inChannels, kernelSize.height, kernelSize.width],
                                        fanIn: inChannels * taps, fanOut: outChannels * taps, rng: &rng)
        bias = useBias ? Initializer.pytorchDefault.makeBias(count: outChannels, fanIn: inChannels * taps, rng: &rng) : nil
        super.init()
        registerParameter("weight", weight)
        if let bias { registerParameter("bias", bias) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels,
                     "Conv2d: expected input [N, \(inChannels), H, W], got \(x.shape)")
        return conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}
