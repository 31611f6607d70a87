import SynapseCore
import SynapseTestSupport

/// The random inputs of one recurrent layer call: x [B, T, I], h0 and c0 [B, H], and the
/// four weights of `gates` blocks.
struct RecurrentInputs {
    let x, h0, c0, weightIH, weightHH, biasIH, biasHH: Tensor
    var all: [Tensor] { [x, h0, c0, weightIH, weightHH, biasIH, biasHH] }

    init(B: Int, T: Int, I: Int, H: Int, gates: Int, seed: UInt64) {
        x = randomTensor([B, T, I], seed: seed)
        h0 = randomTensor([B, H], seed: seed + 1, low: -0.8, high: 0.8)
        c0 = randomTensor([B, H], seed: seed + 2)
        weightIH = randomTensor([gates * H, I], seed: seed + 3, low: -0.7, high: 0.7)
        weightHH = randomTensor([gates * H, H], seed: seed + 4, low: -0.7, high: 0.7)
        biasIH = randomTensor([gates * H], seed: seed + 5, low: -0.5, high: 0.5)
        biasHH = randomTensor([gates * H], seed: seed + 6, low: -0.5, high: 0.5)
    }

    /// Step t of x, [B, I].
    func step(_ t: Int) -> Tensor { noGrad { timeStep(x, t) } }
}
