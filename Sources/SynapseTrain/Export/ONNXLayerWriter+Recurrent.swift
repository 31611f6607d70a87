import SynapseCore
import SynapseNN

extension ONNXLayerWriter {
    /// A stacked LSTM, GRU or tanh RNN as ONNX's own `LSTM`, `GRU` and `RNN` operators, one
    /// node per layer (forward direction, zero initial state; dropout between layers is off in
    /// evaluation).
    ///
    /// Our tensors follow PyTorch; ONNX stacks the gate blocks in another order and wants one
    /// bias vector, so each layer's weights are rewritten:
    ///
    ///     ours (PyTorch)          ONNX
    ///     LSTM  i, f, g, o        i, o, f, c      W [1, 4H, in], R [1, 4H, H], B [1, 8H] = [b_ih | b_hh]
    ///     GRU   r, z, n           z, r, h         linear_before_reset = 1: n = tanh(W_n x + b_in + r ⊙ (R_n h + b_hn))
    ///     RNN   (one block)       (one block)     activation Tanh
    ///
    /// and stored as `PATH.l{k}.W`, `.R`, `.B` (not under the checkpoint's names, since the
    /// numbers are reordered). ONNX's operators read time-major sequences [T, B, in] and write
    /// Y [T, 1, B, H]; ours are batch first, so the stack is wrapped in two Transposes.
    /// - Shape: x [B, T, inputSize] → [B, T, hiddenSize].
    mutating func recurrent(_ m: RecurrentNetwork, path: String, input x: ONNXValue) throws -> ONNXValue {
        let op: String, order: [Int]
        switch m {
        case is LSTM: (op, order) = ("LSTM", [0, 3, 1, 2])
        case is GRU: (op, order) = ("GRU", [1, 0, 2])
        case is RNN: (op, order) = ("RNN", [0])
        default:
            throw UserError("the recurrent layer \(path) is a \(type(of: m)), which has no ONNX operator here; nothing was written")
        }
        let H = m.hiddenSize, G = order.count
        var sequence = graph.node("Transpose", [x.name], name: path + ".time_major", [.init("perm", .ints([1, 0, 2]))])
        for (k, w) in m.layers.enumerated() {
            let inputWidth = w.weightIH.shape[1]
            let W = graph.weight("\(path).l\(k).W", shape: [1, G * H, inputWidth], Self.gateBlocks(w.weightIH, order: order))
            let R = graph.weight("\(path).l\(k).R", shape: [1, G * H, H], Self.gateBlocks(w.weightHH, order: order))
            var B = ""
            if let bi = w.biasIH, let bh = w.biasHH {
                B = graph.weight("\(path).l\(k).B", shape: [1, 2 * G * H], Self.gateBlocks(bi, order: order) + Self.gateBlocks(bh, order: order))
            }
            var attributes: [ONNX.Attribute] = [.init("hidden_size", .int(H))]
            if op == "GRU" { attributes.append(.init("linear_before_reset", .int(1))) }
            let y = graph.node(op, [sequence, W, R, B], name: "\(path).l\(k)", attributes)           // [T, 1, B, H]
            sequence = graph.node("Squeeze", [y, graph.int64s([1])], name: "\(path).l\(k).output")     // [T, B, H]
        }
        return ONNXValue(name: graph.node("Transpose", [sequence], name: path, [.init("perm", .ints([1, 0, 2]))]), rank: 3)
    }

    /// The gate blocks of `t` ([G·H, …] or [G·H], G blocks of H rows stacked along the first
    /// dimension) in the order `order` (block indices of ours), flattened.
    static func gateBlocks(_ t: Tensor, order: [Int]) -> [Float] {
        let values = t.scalars
        let block = values.count / order.count
        return order.flatMap { values[($0 * block)..<(($0 + 1) * block)] }
    }
}
