/// What one recurrent layer (`rnnTanh`, `lstm`, `gru`) returns after running over a whole
/// sequence: every hidden state, and the final state to start the next call from.
///
/// All three are tensors on the tape: a loss may read any mix of them (a language model reads
/// `output`, a classifier reads `hidden`, a sequence-to-sequence encoder hands `hidden` and
/// `cell` to a decoder) and gradients flow back through the same BPTT pass.
/// Reference: PyTorch `torch.nn.LSTM` documentation (outputs `output, (h_n, c_n)`).
public struct RecurrentLayerOutput {
    /// Hidden state after every step, h_1 … h_T. - Shape: [B, T, H] (PyTorch's `output`,
    /// batch_first=True).
    public let output: Tensor
    /// Hidden state after the last step, h_T. - Shape: [B, H] (this layer's slice of `h_n`).
    public let hidden: Tensor
    /// Cell state after the last step, c_T, for an LSTM; nil for the other cells.
    /// - Shape: [B, H] (this layer's slice of `c_n`).
    public let cell: Tensor?
}

/// The sizes of one recurrent layer call, each argument checked against them once.
///
/// `gates` is how many stacked gate blocks the weights hold per hidden unit: 1 for the tanh
/// RNN, 3 for the GRU (r, z, n), 4 for the LSTM (i, f, g, o), PyTorch's order.
struct RecurrentDimensions {
    /// Batch size, sequence length, input width, hidden width.
    let B: Int, T: Int, I: Int, H: Int
    /// Gate blocks per hidden unit (1, 3 or 4).
    let gates: Int
    /// Width of the stacked gate pre-activations, gates·H.
    var G: Int { gates * H }

    /// Reads B, T, I from `x` [B, T, I] and H from `weightHH` [gates·H, H]; fails with a
    /// message naming `op`, the argument and the expected shape when anything disagrees.
    init(_ op: String, gates: Int, gateNames: String, x: Tensor, h0: Tensor?,
         weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?) {
        precondition(x.rank == 3, "\(op): input must be [B, T, inputSize] (batch first), got \(x.shape)")
        precondition(weightHH.rank == 2 && weightHH.shape[0] == gates * weightHH.shape[1],
                     "\(op): weightHH \(weightHH.shape) should be [\(gates)·H, H] (gates \(gateNames) stacked)")
        let B = x.shape[0], T = x.shape[1], I = x.shape[2], H = weightHH.shape[1]
        precondition(T >= 1, "\(op): the sequence is empty (input \(x.shape)); T must be at least 1")
        precondition(weightIH.shape == [gates * H, I],
                     "\(op): weightIH \(weightIH.shape) should be [\(gates)·H, inputSize] = [\(gates * H), \(I)] for input \(x.shape)")
        for (name, bias) in [("biasIH", biasIH), ("biasHH", biasHH)] {
            if let bias {
                precondition(bias.shape == [gates * H], "\(op): \(name) \(bias.shape) should be [\(gates * H)]")
            }
        }
        if let h0 {
            precondition(h0.shape == [B, H], "\(op): h0 \(h0.shape) should be [B, H] = [\(B), \(H)]")
        }
        (self.B, self.T, self.I, self.H, self.gates) = (B, T, I, H, gates)
    }
}

/// A differentiable window onto `count` floats of `whole` starting at `offset`, seen with
/// `shape`: it shares storage, and its gradient is added into that range of `whole.grad`.
///
/// Why: an op on this tape has ONE output tensor, but the LSTM has two results that both feed
/// the loss (all hidden states and the last cell state). It writes them into one buffer and
/// hands out two windows, so one backward rule receives both gradients.
func window(of whole: Tensor, offset: Int, shape: [Int]) -> Tensor {
    let count = shape.reduce(1, *)
    precondition(offset >= 0 && offset + count <= whole.count, "window: [\(offset), \(offset + count)) is outside \(whole.count) floats")
    let part = Tensor(shape: shape, storage: Storage(viewOf: whole.pointer + offset, count: count, owner: whole.storage))
    if isRecording(whole) {
        part.record(inputs: [whole]) { _, dPart in
            whole.storeOrAccumulateGrad { g, fresh in
                let src = dPart.pointer, dst = g.baseAddress! + offset
                if fresh {   // the window copied, the rest of the fresh buffer zeroed
                    g.baseAddress!.update(repeating: 0, count: offset)
                    dst.update(from: src, count: count)
                    (dst + count).update(repeating: 0, count: g.count - offset - count)
                } else {
                    for i in 0..<count { dst[i] += src[i] }
                }
            }
        }
    }
    return part
}
