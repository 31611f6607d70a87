import SynapseCore
import SynapseNN

extension ModelFactory {
    /// The recurrent stack of `config`: `layers` layers of `hidden_size` (LSTM, GRU or tanh RNN),
    /// dropout `config.dropout` between layers, PyTorch's parameter names and initialization.
    /// - Shape: [B, T, inputSize] → [B, T, hidden_size].
    static func recurrentStack(_ config: ModelConfig, inputSize: Int, rng: inout RandomGenerator) -> Module {
        switch config.kind {
        case .gru:
            return GRU(inputSize: inputSize, hiddenSize: config.hiddenSize, layers: config.layers, dropout: config.dropout, rng: &rng)
        case .rnn:
            return RNN(inputSize: inputSize, hiddenSize: config.hiddenSize, layers: config.layers, dropout: config.dropout, rng: &rng)
        default:
            return LSTM(inputSize: inputSize, hiddenSize: config.hiddenSize, layers: config.layers, dropout: config.dropout, rng: &rng)
        }
    }

    /// A character language model (the PyTorch peer's `LSTMModel`): token embedding → the
    /// recurrent stack → a linear head over every position, predicting the next token.
    /// Layers `embed`, `lstm` (or `gru`, `rnn`), `head`.
    /// - Shape: token ids [B, T] → logits [B·T, vocabularySize].
    public static func languageModel(config: ModelConfig, vocabularySize: Int, rng: inout RandomGenerator) -> Sequential {
        Sequential(named: [
            ("embed", Embedding(vocabularySize: vocabularySize, dimension: config.embedding, rng: &rng)),
            (config.kind.rawValue, recurrentStack(config, inputSize: config.embedding, rng: &rng)),
            ("merge", Reshape([-1, config.hiddenSize])),
            ("head", Linear(inputSize: config.hiddenSize, outputSize: vocabularySize, rng: &rng)),
        ])
    }

    /// A recurrent classifier of images: each [C, H, W] image read as a sequence of C·H rows
    /// of W pixels, the last hidden state → a linear classifier.
    /// Layers `rows`, `lstm` (or `gru`, `rnn`), `last`, `fc`.
    /// - Shape: [N, C, H, W] → [N, outputSize].
    static func sequenceClassifier(config: ModelConfig, inputShape: [Int], outputSize: Int,
                                   rng: inout RandomGenerator) throws -> Sequential {
        guard inputShape.count == 3 else {
            throw UserError("model.kind: \(config.kind.rawValue) reads images row by row; the dataset has samples of shape \(inputShape)")
        }
        let (C, H, W) = (inputShape[0], inputShape[1], inputShape[2])
        return Sequential(named: [
            ("rows", Reshape([-1, C * H, W])),
            (config.kind.rawValue, recurrentStack(config, inputSize: W, rng: &rng)),
            ("last", LastTimeStep()),
            ("fc", Linear(inputSize: config.hiddenSize, outputSize: outputSize, rng: &rng)),
        ])
    }
}
