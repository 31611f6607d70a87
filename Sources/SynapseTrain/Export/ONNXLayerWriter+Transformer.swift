import SynapseCore
import SynapseNN

extension ONNXLayerWriter {
    /// A GPT as primitive operators (opset 17 has no attention operator):
    /// ```
    /// ids [B, T] → Gather(tok.weight) + Slice(positions, 0..<T)        [B, T, C] → rows [B·T, C]
    /// each block:  LayerNormalization → Gemm qkv → Reshape [B, T, 3, H, D] → q, kᵀ, v per head
    ///              Softmax(q kᵀ / √D + causal mask) v → [B·T, C] → Gemm proj → Add
    ///              LayerNormalization → Gemm fc → activation → Gemm fc2 → Add
    /// LayerNormalization ln → Gemm with tok.weight (tied) or head.weight, transposed   [B·T, V]
    /// ```
    /// The causal mask is a [context, context] table (0 on and below the diagonal, −∞ above)
    /// cut to [T, T], so any length up to the context runs; exp(−∞) = 0 gives the masked
    /// positions exactly the zero weight the fused kernel gives them by skipping them. The
    /// output layer reuses the one `tok.weight` tensor the Gather reads, as the model does.
    /// - Shape: ids [B, T] (T ≤ context) → logits [B·T, V].
    mutating func transformer(_ m: GPT, path: String, input ids: ONNXValue) throws -> ONNXValue {
        func p(_ name: String) -> String { Self.join(path, name) }
        let C = m.width, N = m.context
        let heads = m.blocks.first?.heads ?? 1
        let shape = graph.node("Shape", [ids.name], name: p("ids_shape"))                                    // [B, T]
        let length = graph.node("Slice", [shape, graph.int64s([1]), graph.int64s([2])], name: p("length"))    // [T]
        let tok = graph.weight(p("tok.weight"), m.tok.weight)
        let tokens = graph.node("Gather", [tok, ids.name], name: p("tok"), [.init("axis", .int(0))])          // [B, T, C]
        let table = graph.weight(p(m.pos.kind == .learned ? "pos.weight" : "pos.table"), m.pos.table)          // [N, C]
        let positions = graph.node("Slice", [table, graph.int64s([0]), length, graph.int64s([0])], name: p("pos"))
        let embedded = graph.node("Add", [tokens, positions], name: p("embed"))
        var rows = ONNXValue(name: graph.node("Reshape", [embedded, graph.int64s([-1, C])], name: p("rows")), rank: 2)

        var maskTable = [Float](repeating: 0, count: N * N)
        for t in 0..<N { for s in 0..<N where s > t { maskTable[t * N + s] = -.infinity } }
        let maskSize = graph.node("Concat", [length, length], name: p("mask_size"), [.init("axis", .int(0))])      // [T, T]
        let mask = graph.node("Slice", [graph.weight(p("causal_mask"), shape: [N, N], maskTable), graph.int64s([0, 0]), maskSize,
                                        graph.int64s([0, 1])], name: p("mask"))                              // [T, T]
        let headShape = graph.node("Concat", [shape, graph.int64s([3, heads, C / heads])], name: p("qkv_shape"),
                                   [.init("axis", .int(0))])                                                 // [B, T, 3, H, D]
        for (k, block) in m.blocks.enumerated() {
            rows = try transformerBlock(block, path: p("blocks.\(k)"), rows: rows, headShape: headShape, mask: mask)
        }
        rows = try write(m.ln, path: p("ln"), input: rows)
        let out = m.head.map { graph.weight(p("head.weight"), $0.weight) } ?? tok
        return ONNXValue(name: graph.node("Gemm", [rows.name, out], name: p("head"), [.init("transB", .int(1))]), rank: 2)
    }

    /// One pre-norm block over rows [B·T, C] (see `TransformerBlock`).
    private mutating func transformerBlock(_ block: TransformerBlock, path: String, rows x: ONNXValue, headShape: String,
                                           mask: String) throws -> ONNXValue {
        func p(_ name: String) -> String { Self.join(path, name) }
        var layers: [String: Module] = [:]
        for (name, module) in block.children { layers[name] = module }
        func layer(_ name: String) throws -> Module {
            guard let module = layers[name] else { throw UserError("the Transformer block \(path) has no layer \(name); nothing was written") }
            return module
        }
        let C = block.width, D = C / block.heads
        let qkv = try write(try layer("qkv"), path: p("qkv"), input: try write(try layer("ln1"), path: p("ln1"), input: x))
        let split = graph.node("Reshape", [qkv.name, headShape], name: p("qkv_heads"))                      // [B, T, 3, H, D]
        func part(_ index: Int, _ name: String, perm: [Int]) -> String {
            let picked = graph.node("Gather", [split, graph.int64Scalar(index)], name: p(name + "_rows"), [.init("axis", .int(2))])
            return graph.node("Transpose", [picked], name: p(name), [.init("perm", .ints(perm))])
        }
        let q = part(0, "q", perm: [0, 2, 1, 3])            // [B, H, T, D]
        let kT = part(1, "k_t", perm: [0, 2, 3, 1])         // [B, H, D, T]
        let v = part(2, "v", perm: [0, 2, 1, 3])            // [B, H, T, D]
        let dot = graph.node("MatMul", [q, kT], name: p("attn.dot"))                                          // [B, H, T, T]
        let scaled = graph.node("Mul", [dot, graph.scalar(1 / Float(D).squareRoot())], name: p("attn.scaled"))
        let masked = graph.node("Add", [scaled, mask], name: p("attn.masked"))
        let weights = graph.node("Softmax", [masked], name: p("attn.weights"), [.init("axis", .int(-1))])
        let heads = graph.node("MatMul", [weights, v], name: p("attn.heads"))                                 // [B, H, T, D]
        let merged = graph.node("Transpose", [heads], name: p("attn.merged"), [.init("perm", .ints([0, 2, 1, 3]))])   // [B, T, H, D]
        let attended = ONNXValue(name: graph.node("Reshape", [merged, graph.int64s([-1, C])], name: p("attn")), rank: 2)
        let projected = try write(try layer("proj"), path: p("proj"), input: attended)
        let mid = ONNXValue(name: graph.node("Add", [x.name, projected.name], name: p("residual1")), rank: 2)
        var mlp = try write(try layer("ln2"), path: p("ln2"), input: mid)
        for name in ["fc", "act", "fc2"] { mlp = try write(try layer(name), path: p(name), input: mlp) }
        return ONNXValue(name: graph.node("Add", [mid.name, mlp.name], name: p("residual2")), rank: 2)
    }
}
