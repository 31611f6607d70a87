import SynapseCore

/// One batch of text windows for next-character prediction: row `i` is the `T` tokens at
/// `offsets[i]` and its targets are the `T` tokens one position later.
///
/// Ids travel as exact whole numbers in a `Float` tensor (exact up to 2²⁴, far beyond any
/// character vocabulary), which an embedding layer reads as indices; targets are `Int32`
/// because the cross-entropy loss takes `Int32` labels.
///
/// `inputs`, `targets` and `offsets` are the producer's reusable buffers: the next batch
/// overwrites the tensor. Use `inputs.copy()` to keep it; keeping the arrays is safe, at the
/// cost of one copy when the producer next writes them.
public struct TextBatch {
    /// The training step, or the position of this validation batch on its rank.
    public let index: Int
    /// Token ids of the windows. - Shape: [b, T].
    public let inputs: Tensor
    /// The token after each input token, row-major. - Shape: [b·T] (row `i` is
    /// `targets[i·T ..< (i+1)·T]`).
    public let targets: [Int32]
    /// Where each row starts in the token sequence it was cut from. - Shape: [b].
    public let offsets: [Int]
    /// Number of rows b.
    public var count: Int { offsets.count }
    /// Window length T.
    public var context: Int { inputs.shape[1] }
}

/// Buffers for batches of `rows` windows of `context` tokens, allocated once and refilled.
struct TextWindowBuffer {
    let inputs: Tensor       // [b, T]
    var targets: [Int32]     // [b·T]
    var offsets: [Int]       // [b]

    init(rows: Int, context: Int) {
        inputs = Tensor(uninitializedShape: [rows, context])
        targets = [Int32](repeating: 0, count: rows * context)
        offsets = [Int](repeating: 0, count: rows)
    }

    /// Copies the windows at `offsets` out of `tokens` (each needs `offsets[i] + T + 1 <=
    /// tokens.count`, which the producers guarantee).
    mutating func fill(from tokens: [Int32]) {
        let T = inputs.shape[1]
        let out = inputs.pointer
        tokens.withUnsafeBufferPointer { tokens in
            offsets.withUnsafeBufferPointer { offsets in
                targets.withUnsafeMutableBufferPointer { targets in
                    for (row, start) in offsets.enumerated() {
                        precondition(start >= 0 && start + T < tokens.count,
                                     "TextWindowBuffer: window at \(start) runs past the \(tokens.count) tokens")
                        for t in 0..<T {
                            out[row * T + t] = Float(tokens[start + t])
                            targets[row * T + t] = tokens[start + t + 1]
                        }
                    }
                }
            }
        }
    }

    /// The filled buffers as a batch.
    func batch(index: Int) -> TextBatch {
        TextBatch(index: index, inputs: inputs, targets: targets, offsets: offsets)
    }
}

/// Throws unless `count` tokens hold at least one window of `context` tokens plus the target
/// after it; `part` ("training", "validation") and `source` name the text.
func requireWindow(_ count: Int, context: Int, part: String, source: String) throws {
    guard context >= 1 else {
        throw DataError.invalidSetting("context length \(context) must be at least 1")
    }
    guard count >= context + 1 else {
        throw DataError.invalidCorpus(path: source, reason: "the \(part) text has \(count) characters, "
            + "fewer than the \(context + 1) one window needs (context \(context) plus the character that "
            + "follows); use a shorter context, a longer corpus"
            + (part == "validation" ? ", or a larger validation fraction" : ", or a smaller validation fraction"))
    }
}
