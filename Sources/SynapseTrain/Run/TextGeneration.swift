import Foundation
import SynapseCore
import SynapseNN
import SynapseComm
import SynapseData

/// `synapse generate`: text sampled from a language model (recurrent or Transformer), one token
/// at a time. The prompt runs through the network once; then each new token costs one step:
/// the recurrent stack carries its state, the Transformer its keys and values
/// (`IncrementalDecoder`), so nothing is re-read. The same checkpoint, prompt, settings and
/// seed give the same text.
public final class TextGenerator {
    /// Sampling settings.
    public struct Settings: Sendable {
        /// Tokens to generate after the prompt: characters with a character tokenizer.
        public var length = 300
        /// Divides the logits before the softmax: < 1 is more conservative, > 1 more varied; 0 always
        /// takes the most probable character.
        public var temperature: Float = 0.8
        /// Sample only among the k most probable characters (0 = all).
        public var topK = 0
        /// Seeds the sampling.
        public var seed: UInt64 = 42
        /// Creates the defaults.
        public init() {}
    }

    /// The vocabulary the model was trained with (from the checkpoint).
    public let tokenizer: TextTokenizer
    private let decoder: any IncrementalDecoder
    private let replica: Replica

    /// The model of `checkpoint` (a run directory, checkpoint directory or `latest` link),
    /// with its moving average of the weights if the run kept one. Needs no corpus: the
    /// vocabulary is the checkpoint's tokenizer.json.
    public init(checkpoint: String) throws {
        let loaded = try CheckpointStore.load(path: checkpoint)
        guard let yaml = loaded.files["config.yaml"] else {
            throw UserError("checkpoint \(loaded.path) has no config.yaml; it was not written by `synapse train`")
        }
        let config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self), source: loaded.path + "/config.yaml")
        guard config.data.dataset == .text, let json = loaded.files["tokenizer.json"] else {
            throw UserError("checkpoint \(loaded.path) holds a \(config.model.kind.rawValue) trained on \(config.data.dataset.rawValue), "
                            + "not a text model: generate samples text from a model trained with data.dataset: text")
        }
        tokenizer = try JSONDecoder().decode(TextTokenizer.self, from: json)
        replica = try Replica(config: config, inputShape: [], classCount: tokenizer.count, comm: LocalCommunicator())
        try TrainedModel.readWeights(of: loaded, into: replica)
        replica.ema?.swapWithModel()   // generate with the averaged weights, as validation scored them
        if let gpt = replica.model as? GPT {
            decoder = TransformerDecoder(model: gpt)
        } else if let layers = (replica.model as? Sequential)?.layers, layers.count == 4, let embed = layers[0] as? Embedding,
                  let stack = layers[1] as? RecurrentNetwork, let head = layers[3] as? Linear {
            decoder = RecurrentDecoder(embed: embed, stack: stack, head: head)
        } else {
            throw UserError("checkpoint \(loaded.path): its model is neither a Transformer nor embedding → recurrent stack → head; "
                            + "it cannot generate")
        }
        replica.model.eval()
    }

    /// Generates `settings.length` tokens after `prompt`, calling `emit` with the text of each
    /// as soon as it is drawn (a byte-pair token's bytes that end inside a character wait
    /// for the token that completes it), and returns the text. An empty prompt starts from a
    /// newline (or a character vocabulary's first character when the text has none).
    /// - Throws: `DataError.unknownCharacter` for a prompt character outside a character vocabulary.
    @discardableResult
    public func generate(prompt: String, settings: Settings, emit: (String) -> Void = { _ in }) throws -> String {
        var ids = try tokenizer.encode(prompt.isEmpty ? tokenizer.defaultPrompt : prompt)
        var rng = RandomGenerator(seed: settings.seed, stream: RandomGenerator.Stream.sampling)
        var out = ""
        var text = UTF8StreamDecoder()   // a byte-pair token may end inside a character
        try noGrad {
            for _ in 0..<settings.length {
                let logits = decoder.feed(ids)   // [V]: what follows the last id fed
                let next = Self.sample(logits, temperature: settings.temperature, topK: settings.topK, rng: &rng)
                let piece = text.append(try tokenizer.bytes(of: next))
                emit(piece)
                out += piece
                ids = [next]
            }
        }
        let rest = text.finish()
        if !rest.isEmpty { emit(rest); out += rest }
        return out
    }

    /// Draws an index from softmax(logits / temperature) restricted to the `topK` largest
    /// (all when 0); temperature 0 takes the largest.
    static func sample(_ logits: [Float], temperature: Float, topK: Int, rng: inout RandomGenerator) -> Int32 {
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        guard temperature > 0 else { return Int32(order[0]) }
        let kept = topK > 0 ? Array(order.prefix(topK)) : order
        let top = logits[kept[0]]
        let weights = kept.map { exp(Double(logits[$0] - top) / Double(temperature)) }
        var u = Double(rng.nextUniform()) * weights.reduce(0, +)
        for (i, w) in zip(kept, weights) {
            u -= w
            if u < 0 { return Int32(i) }
        }
        return Int32(kept.last!)
    }
}
