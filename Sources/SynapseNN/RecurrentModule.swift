import SynapseCore

/// A recurrent stack that can carry its state from one call to the next (`RNN`, `LSTM`,
/// `GRU`): generation feeds a prompt once, then one token per call.
public protocol RecurrentModule: Module {
    /// The outputs of the last layer for every step of `x`, and the state after the last
    /// step (per layer), starting from `state` (zeros when nil).
    /// - Shape: x [B, T, input] → output [B, T, hidden].
    func forward(_ x: Tensor, state: RecurrentState?) -> (output: Tensor, state: RecurrentState)
}

extension RNN: RecurrentModule {}
extension LSTM: RecurrentModule {}
extension GRU: RecurrentModule {}
