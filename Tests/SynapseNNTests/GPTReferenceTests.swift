import Foundation
import Testing
import SynapseCore
import SynapseNN
import SynapseTestSupport

/// A small GPT's forward pass against logits computed independently in numpy
/// (`Reference/make_gpt_reference.py`, float64; values in GPTReferenceValues.swift): embeddings,
/// two pre-norm blocks with 2-head causal attention and a GELU (tanh) MLP, the final LayerNorm
/// and the tied output layer, every weight set by the same formula on both sides.
@Suite struct GPTReferenceTests {
    @Test func forwardMatchesNumpy() throws {
        var rng = RandomGenerator(seed: 1)
        let model = GPT(vocabularySize: 11, context: 5, width: 8, layers: 2, heads: 2, activation: { GELUTanh() }, rng: &rng)
        // Parameter k holds 0.3·sin(1.3k + 0.7i + 0.1) at flat index i (the script's formula).
        for (k, (_, t)) in model.namedParameters().enumerated() {
            for i in 0..<t.count { t.pointer[i] = Float(0.3 * sin(1.3 * Double(k) + 0.7 * Double(i) + 0.1)) }
        }
        let ids = Tensor(shape: [2, 5], values: [0, 3, 10, 2, 7, 5, 5, 1, 9, 4])
        let logits = noGrad { model(ids) }
        #expect(logits.shape == [10, 11])
        expectClose(logits.scalars, gptReferenceLogits, rtol: 1e-4, atol: 2e-6, "GPT logits vs numpy")
    }
}
