import SynapseCore
import SynapseNN

/// A language model run one piece at a time for generation: fed the ids of new tokens, it
/// returns the logits that follow the last of them, carrying what it has read so far instead
/// of re-reading it.
protocol IncrementalDecoder: AnyObject {
    /// Reads `ids` after everything fed before and returns the logits of the token that comes
    /// next. - Shape: ids [n] (n ≥ 1) → [V].
    func feed(_ ids: [Int32]) -> [Float]
}

/// Embedding → recurrent stack → head, carrying the stack's hidden (and cell) state.
final class RecurrentDecoder: IncrementalDecoder {
    private let embed: Embedding, stack: RecurrentNetwork, head: Linear
    private var state: RecurrentState?

    init(embed: Embedding, stack: RecurrentNetwork, head: Linear) {
        (self.embed, self.stack, self.head) = (embed, stack, head)
    }

    func feed(_ ids: [Int32]) -> [Float] {
        // [1, n] ids → [1, n, E] → the stack from the carried state → the last step [1, H] → [1, V].
        let step = stack.forward(embed(Tensor(shape: [1, ids.count], values: ids.map(Float.init))), state: state)
        state = step.state
        let H = step.output.shape[2]
        return head(Tensor(shape: [1, H], values: Array(step.output.scalars.suffix(H)))).scalars
    }
}

/// A GPT with one key/value cache per block: each new token costs one position of attention
/// over the cached keys and values, not a pass over the whole context.
///
/// The model has vectors for `context` positions only. When the cache is full, it is rebuilt
/// from the last ⌈context/2⌉ tokens (one pass over them), so every prediction still sees at
/// least half a context of text and generating costs about two positions per token, not a
/// whole context (re-reading the last `context` tokens at every step, as nanoGPT's sampler
/// does, gives each prediction a full context at T times the work).
final class TransformerDecoder: IncrementalDecoder {
    private let model: GPT
    private let caches: [KeyValueCache]
    /// Every token fed so far (what a rebuild reads again).
    private var history: [Int32] = []

    init(model: GPT) {
        self.model = model
        caches = model.makeCaches()
    }

    func feed(_ ids: [Int32]) -> [Float] {
        history += ids
        var new = ids
        if caches[0].length + ids.count > model.context {
            // Rebuild from the last half context, or from the new tokens themselves when they
            // are more (a long prompt: its last `context` tokens).
            for cache in caches { cache.reset() }
            new = Array(history.suffix(max((model.context + 1) / 2, min(ids.count, model.context))))
        }
        let x = model.forward(Tensor(shape: [1, new.count], values: new.map(Float.init)), caches: caches)  // [n, V]
        return Array(x.scalars.suffix(model.vocabularySize))
    }
}
