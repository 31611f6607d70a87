import SynapseCore

/// The state a stacked recurrent module (`RNN`, `GRU`, `LSTM`) carries from one call to the
/// next: the final hidden state of every layer, and for an LSTM the final cell state.
///
/// Text generation feeds one token at a time and passes the state back in; truncated BPTT
/// passes `detached()` so gradients stop at the chunk boundary.
/// PyTorch returns `h_n` stacked as one [layers, B, H] tensor; here it is one [B, H] tensor
/// per layer, bottom layer first (the same numbers, without a stack op on the tape).
public struct RecurrentState {
    /// h_T of each layer, bottom first. - Shape: each [B, H].
    public var hidden: [Tensor]
    /// c_T of each layer for an LSTM, bottom first; empty for `RNN` and `GRU`.
    /// - Shape: each [B, H].
    public var cell: [Tensor]

    /// A state from per-layer tensors (`cell` empty unless the module is an LSTM).
    public init(hidden: [Tensor], cell: [Tensor] = []) {
        self.hidden = hidden
        self.cell = cell
    }

    /// The same values cut off from the graph: no gradient flows into the previous call.
    public func detached() -> RecurrentState {
        RecurrentState(hidden: hidden.map { $0.detached() }, cell: cell.map { $0.detached() })
    }
}
