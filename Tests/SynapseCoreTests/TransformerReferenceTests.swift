import Testing
import SynapseCore
import SynapseTestSupport

/// The Transformer ops' values computed independently by
/// `Reference/make_transformer_reference.py` (numpy, float64, the forward definitions;
/// gradients by central differences); the values live in TransformerReferenceValues.swift.
enum TransformerReference {}

/// layerNorm on `x` with `weight` and `bias` (ε 1e-5); loss sum(output · upstream).
struct LayerNormReference: Sendable {
    let shape: [Int]
    let x: [Float], weight: [Float], bias: [Float]
    let output: [Float], upstream: [Float]
    let gradX: [Float], gradWeight: [Float], gradBias: [Float]
}

/// causalSelfAttention on qkv [batch, steps, 3 · width]; loss sum(output · upstream).
struct AttentionReference: Sendable {
    let batch: Int, steps: Int, width: Int, heads: Int
    let qkv: [Float], output: [Float], upstream: [Float], gradQKV: [Float]
}

/// geluTanh on x; loss sum(output · upstream).
struct GELUTanhReference: Sendable {
    let x: [Float], output: [Float], upstream: [Float], gradX: [Float]
}

/// Tolerances: Float32 against float64 on O(1) values; gradients O(0.01–10).
@Suite("Transformer ops against numpy reference values")
struct TransformerReferenceTests {
    @Test func layerNormMatches() {
        let ref = TransformerReference.layerNorm
        let C = ref.shape.last!
        let x = Tensor(shape: ref.shape, values: ref.x, requiresGrad: true)
        let weight = Tensor(shape: [C], values: ref.weight, requiresGrad: true)
        let bias = Tensor(shape: [C], values: ref.bias, requiresGrad: true)
        let y = layerNorm(x, weight: weight, bias: bias)
        expectClose(y.scalars, ref.output, rtol: 1e-5, atol: 1e-5, "output")
        y.backward(gradient: Tensor(shape: ref.shape, values: ref.upstream))
        // Row 0 is nearly constant (variance ~ 3e-5, 1/√(var + ε) ~ 160): its dx is large and
        // loses more relative precision in Float32.
        expectClose(x.grad!.scalars, ref.gradX, rtol: 1e-4, atol: 1e-3, "dx")
        expectClose(weight.grad!.scalars, ref.gradWeight, rtol: 1e-4, atol: 1e-5, "dweight")
        expectClose(bias.grad!.scalars, ref.gradBias, rtol: 1e-4, atol: 1e-5, "dbias")
    }

    @Test(arguments: [TransformerReference.attentionTwoHeads, TransformerReference.attentionOneHead,
                      TransformerReference.attentionHeadsOfOne])
    func causalSelfAttentionMatches(_ ref: AttentionReference) {
        let shape = [ref.batch, ref.steps, 3 * ref.width], outShape = [ref.batch, ref.steps, ref.width]
        let what = "\(ref.heads) heads, qkv \(shape)"
        let qkv = Tensor(shape: shape, values: ref.qkv, requiresGrad: true)
        let y = causalSelfAttention(qkv, heads: ref.heads)
        expectClose(y.scalars, ref.output, rtol: 1e-5, atol: 1e-5, "\(what): output")
        expectClose(causalSelfAttentionReference(qkv, heads: ref.heads).scalars, ref.output, rtol: 1e-5, atol: 1e-6,
                    "\(what): reference implementation")
        y.backward(gradient: Tensor(shape: outShape, values: ref.upstream))
        expectClose(qkv.grad!.scalars, ref.gradQKV, rtol: 1e-4, atol: 1e-5, "\(what): d(qkv)")
    }

    @Test func geluTanhMatches() {
        let ref = TransformerReference.geluTanh
        let x = Tensor(shape: [ref.x.count], values: ref.x, requiresGrad: true)
        let y = geluTanh(x)
        expectClose(y.scalars, ref.output, rtol: 1e-5, atol: 1e-6, "output")
        y.backward(gradient: Tensor(shape: [ref.x.count], values: ref.upstream))
        expectClose(x.grad!.scalars, ref.gradX, rtol: 1e-5, atol: 1e-6, "dx")
    }
}
