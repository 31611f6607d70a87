import SynapseCore

/// A value flowing through the graph being built: its name and how many dimensions it has
/// (what the layer writers need to pick an operator, e.g. Gemm for [N, features] rows).
struct ONNXValue {
    /// The name nodes refer to it by.
    var name: String
    /// Its number of dimensions.
    var rank: Int
}

/// Builds an ONNX graph node by node, in topological order (each node after the nodes that
/// make its inputs, which is the order the layers run in).
///
/// Names: a node's output is named like the node, after the layer it comes from (`conv1`,
/// `blocks.0.attn.scores`); a weight keeps its name in model.safetensors (`conv1.weight`), so
/// a reader of the file finds the checkpoint's tensors under their own names. ONNX graphs are
/// in single-assignment form, so every name is used once: a layer name seen before (a CNN's
/// classifier head starts its numbering again at `act1`) gets a suffix (`act1#2`), and a
/// weight name seen twice is a bug of the exporter and stops it.
struct ONNXGraphBuilder {
    private(set) var nodes: [ONNX.Node] = []
    private(set) var initializers: [ONNX.Tensor] = []
    private var names: Set<String> = []

    private mutating func claim(_ name: String) {
        precondition(names.insert(name).inserted, "ONNX export: the name '\(name)' is used twice")
    }

    /// Marks `name` as taken (a graph input's).
    mutating func reserve(_ name: String) { claim(name) }

    /// Adds a float32 weight `name` of `shape` and returns its name.
    @discardableResult
    mutating func weight(_ name: String, shape: [Int], _ values: [Float]) -> String {
        claim(name)
        initializers.append(ONNX.Tensor(name: name, shape: shape, floats: values))
        return name
    }

    /// Adds the values of `tensor` (the model's current weights) as the weight `name`.
    @discardableResult
    mutating func weight(_ name: String, _ tensor: Tensor) -> String {
        weight(name, shape: tensor.shape, tensor.scalars)
    }

    /// A float32 scalar constant (shape []), added once however often it is asked for.
    mutating func scalar(_ value: Float) -> String {
        let name = "const.f32.\(value)"
        if !names.contains(name) { weight(name, shape: [], [value]) }
        return name
    }

    /// An int64 constant of shape [values.count] (shapes, axes, indices), added once.
    mutating func int64s(_ values: [Int]) -> String {
        let name = "const.i64.[" + values.map(String.init).joined(separator: ",") + "]"
        if !names.contains(name) {
            claim(name)
            initializers.append(ONNX.Tensor(name: name, shape: [values.count], int64s: values.map(Int64.init)))
        }
        return name
    }

    /// An int64 scalar constant (shape []), e.g. a Gather index that removes the axis.
    mutating func int64Scalar(_ value: Int) -> String {
        let name = "const.i64.\(value)"
        if !names.contains(name) {
            claim(name)
            initializers.append(ONNX.Tensor(name: name, shape: [], int64s: [Int64(value)]))
        }
        return name
    }

    /// Adds a node `op` reading `inputs` ("" for an omitted optional input) whose one output
    /// is named `name` (with a suffix if that is taken); returns the output's name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, _ attributes: [ONNX.Attribute] = []) -> String {
        var unique = name, k = 1
        while names.contains(unique) { k += 1; unique = "\(name)#\(k)" }
        claim(unique)
        nodes.append(ONNX.Node(opType: op, name: unique, inputs: inputs, outputs: [unique], attributes: attributes))
        return unique
    }
}
