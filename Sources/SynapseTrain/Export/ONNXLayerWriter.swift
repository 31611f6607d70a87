import SynapseCore
import SynapseNN

/// Writes a model's layers as ONNX nodes, layer by layer in the order they run, in evaluation
/// mode: dropout is the identity and writes nothing, batch norm normalizes with its running
/// statistics (`BatchNormalization`). Each layer reads the current values of its weights, so
/// writing inside `Replica.withEvaluatedWeights` exports the moving average of a run that
/// kept one.
///
/// The layers of every model family `ModelFactory` builds have a writer here; any other
/// module type is refused with a `UserError` naming it (a wrong file is worse than none).
/// The recurrent stacks and the Transformer have their own files (`ONNXLayerWriter+Recurrent`,
/// `ONNXLayerWriter+Transformer`).
struct ONNXLayerWriter {
    /// The graph so far.
    var graph = ONNXGraphBuilder()

    /// Writes `module`, named `path` in the model (`""` for the root), reading `x`, and
    /// returns its output.
    /// - Throws: `UserError` for a layer that has no ONNX form here.
    mutating func write(_ module: Module, path: String, input x: ONNXValue) throws -> ONNXValue {
        switch module {
        case let m as Sequential:
            var v = x
            for (name, child) in m.children { v = try write(child, path: Self.join(path, name), input: v) }
            return v
        case is Dropout, is Dropout2d:
            return x
        case let m as Linear:
            return linear(weight: m.weight, bias: m.bias, weightName: path + ".weight", biasName: path + ".bias", path: path, input: x)
        case let m as Conv2d:
            return conv(m, path: path, input: x)
        case let m as BatchNorm:
            return try batchNorm(m, path: path, input: x)
        case let m as LayerNorm:
            let inputs = [x.name, graph.weight(path + ".weight", m.weight), graph.weight(path + ".bias", m.bias)]
            return ONNXValue(name: graph.node("LayerNormalization", inputs, name: path,
                                              [.init("axis", .int(-1)), .init("epsilon", .float(m.epsilon))]), rank: x.rank)
        case let m as MaxPool2d:
            return ONNXValue(name: graph.node("MaxPool", [x.name], name: path, [
                .init("kernel_shape", .ints(m.kernelSize.pair)), .init("strides", .ints(m.stride.pair)),
                .init("pads", .ints(m.padding.pair + m.padding.pair)),
            ]), rank: 4)
        case let m as AvgPool2d:
            return ONNXValue(name: graph.node("AveragePool", [x.name], name: path, [
                .init("kernel_shape", .ints(m.kernelSize.pair)), .init("strides", .ints(m.stride.pair)),
                .init("pads", .ints(m.padding.pair + m.padding.pair)), .init("count_include_pad", .int(m.countIncludePad ? 1 : 0)),
            ]), rank: 4)
        case is GlobalAvgPool2d:
            let pooled = graph.node("GlobalAveragePool", [x.name], name: path + ".pool")   // [N, C, 1, 1]
            return ONNXValue(name: graph.node("Flatten", [pooled], name: path, [.init("axis", .int(1))]), rank: 2)
        case is Flatten:
            return ONNXValue(name: graph.node("Flatten", [x.name], name: path, [.init("axis", .int(1))]), rank: 2)
        case let m as Reshape:
            return ONNXValue(name: graph.node("Reshape", [x.name, graph.int64s(m.shape)], name: path), rank: m.shape.count)
        case let m as Residual:
            let branch = try write(m.body, path: Self.join(path, "body"), input: x)
            let skip = try m.shortcut.map { try write($0, path: Self.join(path, "shortcut"), input: x) } ?? x
            return ONNXValue(name: graph.node("Add", [branch.name, skip.name], name: path), rank: branch.rank)
        case is LastTimeStep:
            // x[:, -1, :]: a scalar index removes the time axis.
            return ONNXValue(name: graph.node("Gather", [x.name, graph.int64Scalar(-1)], name: path, [.init("axis", .int(1))]),
                             rank: x.rank - 1)
        case let m as Embedding:
            let table = graph.weight(path + ".weight", m.weight)
            return ONNXValue(name: graph.node("Gather", [table, x.name], name: path, [.init("axis", .int(0))]), rank: x.rank + 1)
        case let m as RecurrentNetwork:
            return try recurrent(m, path: path, input: x)
        case let m as GPT:
            return try transformer(m, path: path, input: x)
        default:
            if let y = activation(module, path: path, input: x) { return y }
            throw UserError("the layer \(path.isEmpty ? "(the model)" : path) is a \(type(of: module)), which synapse cannot "
                            + "write as ONNX; nothing was written (docs/onnx.md lists the layers each model family exports)")
        }
    }

    /// `y = x Wᵀ + b`: one Gemm on [N, in] rows; on higher ranks a MatMul with Wᵀ (a
    /// Transpose of the stored weight, which runtimes fold) and an Add.
    mutating func linear(weight: Tensor, bias: Tensor?, weightName: String, biasName: String, path: String,
                         input x: ONNXValue) -> ONNXValue {
        let w = graph.weight(weightName, weight)
        let b = bias.map { graph.weight(biasName, $0) }
        if x.rank == 2 {
            return ONNXValue(name: graph.node("Gemm", [x.name, w] + (b.map { [$0] } ?? []), name: path,
                                              [.init("transB", .int(1))]), rank: 2)
        }
        let wt = graph.node("Transpose", [w], name: path + ".weight_t", [.init("perm", .ints([1, 0]))])
        let product = graph.node("MatMul", [x.name, wt], name: b == nil ? path : path + ".matmul")
        guard let b else { return ONNXValue(name: product, rank: x.rank) }
        return ONNXValue(name: graph.node("Add", [product, b], name: path), rank: x.rank)
    }

    private mutating func conv(_ m: Conv2d, path: String, input x: ONNXValue) -> ONNXValue {
        let w = graph.weight(path + ".weight", m.weight)
        let b = m.bias.map { [graph.weight(path + ".bias", $0)] } ?? []
        return ONNXValue(name: graph.node("Conv", [x.name, w] + b, name: path, [
            .init("kernel_shape", .ints(m.kernelSize.pair)), .init("strides", .ints(m.stride.pair)),
            .init("pads", .ints(m.padding.pair + m.padding.pair)), .init("dilations", .ints(m.dilation.pair)),
            .init("group", .int(1)),
        ]), rank: 4)
    }

    /// Evaluation-mode batch norm: `(x − running_mean) / √(running_var + eps) · γ + β` per channel.
    private mutating func batchNorm(_ m: BatchNorm, path: String, input x: ONNXValue) throws -> ONNXValue {
        guard let mean = m.runningMean, let variance = m.runningVar else {
            throw UserError("the batch norm layer \(path) keeps no running statistics (it normalizes with each batch's own, "
                            + "even in evaluation), so it has no fixed ONNX form; nothing was written")
        }
        let C = m.featureCount
        let scale = m.weight.map { graph.weight(path + ".weight", $0) }
            ?? graph.weight(path + ".weight", shape: [C], [Float](repeating: 1, count: C))
        let shift = m.bias.map { graph.weight(path + ".bias", $0) }
            ?? graph.weight(path + ".bias", shape: [C], [Float](repeating: 0, count: C))
        let inputs = [x.name, scale, shift, graph.weight(path + ".running_mean", mean), graph.weight(path + ".running_var", variance)]
        return ONNXValue(name: graph.node("BatchNormalization", inputs, name: path, [.init("epsilon", .float(m.eps))]),
                         rank: x.rank)
    }

    /// The activation layers, or nil for another module. GELU has no operator before opset 20,
    /// so both forms are written out: exact `½x(1 + erf(x/√2))`, and GPT-2's
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    mutating func activation(_ module: Module, path: String, input x: ONNXValue) -> ONNXValue? {
        let name: String
        switch module {
        case is ReLU: name = graph.node("Relu", [x.name], name: path)
        case is Sigmoid: name = graph.node("Sigmoid", [x.name], name: path)
        case is Tanh: name = graph.node("Tanh", [x.name], name: path)
        case let m as LeakyReLU: name = graph.node("LeakyRelu", [x.name], name: path, [.init("alpha", .float(m.negativeSlope))])
        case is Softmax: name = graph.node("Softmax", [x.name], name: path, [.init("axis", .int(-1))])
        case is GELU:
            let scaled = graph.node("Div", [x.name, graph.scalar(Float(2).squareRoot())], name: path + ".scaled")
            let erf = graph.node("Erf", [scaled], name: path + ".erf")
            name = halfTimesOnePlus(erf, x: x.name, path: path)
        case is GELUTanh:
            let square = graph.node("Mul", [x.name, x.name], name: path + ".square")
            let cube = graph.node("Mul", [square, x.name], name: path + ".cube")
            let term = graph.node("Mul", [cube, graph.scalar(0.044715)], name: path + ".cubic_term")
            let inner = graph.node("Add", [x.name, term], name: path + ".inner")
            let u = graph.node("Mul", [inner, graph.scalar((2 / Float.pi).squareRoot())], name: path + ".u")
            let tanh = graph.node("Tanh", [u], name: path + ".tanh")
            name = halfTimesOnePlus(tanh, x: x.name, path: path)
        default: return nil
        }
        return ONNXValue(name: name, rank: x.rank)
    }

    /// `½ · x · (1 + t)`, the last steps of both GELU forms.
    private mutating func halfTimesOnePlus(_ t: String, x: String, path: String) -> String {
        let onePlus = graph.node("Add", [t, graph.scalar(1)], name: path + ".one_plus")
        let product = graph.node("Mul", [x, onePlus], name: path + ".times_x")
        return graph.node("Mul", [product, graph.scalar(0.5)], name: path)
    }

    /// `parent.child`, or `child` at the root.
    static func join(_ parent: String, _ child: String) -> String { parent.isEmpty ? child : parent + "." + child }
}

extension Size2D {
    /// [height, width], the order of ONNX's 2-D kernel, stride and dilation attributes (pads
    /// take it twice: begins, then ends).
    var pair: [Int] { [height, width] }
}
