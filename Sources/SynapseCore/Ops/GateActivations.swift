/// Sigmoid and tanh for the recurrent cells' inner loops, written so the loops vectorize.
///
/// Why not `expf`/`tanhf`: a libm call per element keeps the compiler from vectorizing the
/// loop, and an LSTM evaluates five of these per hidden unit per step (three sigmoids, two
/// tanh) — as much time as the recurrent GEMM at small batch. These are the Cephes
/// single-precision formulas (S. Moshier, "Methods and Programs for Mathematical Functions",
/// 1989) with branches turned into selects: about 2 ulp from the exact value (checked against
/// Double in GateActivationTests). The `sigmoid`/`tanh` ops and the reference cells keep libm.

/// e^x for Float, ≈ 2 ulp relative error; inputs are clamped to [-87.3, 88.3] (the range
/// where the result is a normal Float).
///
/// Write x = n·ln2 + r with n an integer and |r| ≤ ln2/2; then e^x = 2^n · e^r, e^r from a
/// degree-6 polynomial and 2^n built directly in the exponent bits.
@inline(__always)
func gateExp(_ x: Float) -> Float {
    let x = min(max(x, -87.3), 88.3)
    // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n and leaves n in the low
    // mantissa bits of `shifted` (a branch-free, vectorizable round-to-int).
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4   // x − n·ln2, ln2 split in two parts
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    let er = p * r * r + r + 1                             // e^r
    // n << 23 is n's bits in the exponent field (the 1.5·2^23 bits shift out); + bias 127.
    let twoToN = Float(bitPattern: (shifted.bitPattern &<< 23) &+ 0x3F80_0000)
    return er * twoToN
}

/// Logistic sigmoid 1 / (1 + e^-x); saturates cleanly to 0 and 1.
@inline(__always)
func gateSigmoid(_ x: Float) -> Float {
    1 / (1 + gateExp(-x))
}

/// Hyperbolic tangent. For |x| ≥ 0.625, 1 − 2 / (e^{2x} + 1); below, where that form would
/// lose relative precision to cancellation, Cephes' odd polynomial x + x³·P(x²).
@inline(__always)
func gateTanh(_ x: Float) -> Float {
    let large = 1 - 2 / (gateExp(2 * x) + 1)
    let z = x * x
    var p: Float = -5.704_988_72e-3
    p = p * z + 2.063_908_88e-2
    p = p * z - 5.373_971_55e-2
    p = p * z + 1.333_144_22e-1
    p = p * z - 3.333_328_19e-1
    let small = p * z * x + x
    return abs(x) < 0.625 ? small : large
}
