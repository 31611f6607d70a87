/// Sigmoid and tanh for the recurrent cells' inner loops, eight lanes at a time: the tanh RNN's
/// step, and the Swift statement of the formulas that the LSTM and GRU step kernels
/// (CKernels, RecurrentKernels.inc) evaluate sixteen lanes at a time.
///
/// Why not `expf`/`tanhf` in a scalar loop: an LSTM evaluates five of these per hidden unit
/// per step (three sigmoids, two tanh), and a libm call per element (or the branchy scalar
/// code the compiler makes of anything fancier) took as long as all of the layer's GEMMs
/// (measured at B 32, H 256: ~19 ms of a 35 ms forward pass). Written on `SIMD8<Float>`
/// the same formulas run on vector registers — SSE ones, as Swift builds for baseline x86-64:
/// the LSTM step in C with AVX-512 took 1.65 + 2.3 ms forward + backward per layer against
/// 7.4 + 4.9 ms for this code (B 32, T 64, H 256, 2026-12-01).
///
/// The formulas are Cephes' single-precision ones (S. Moshier, "Methods and Programs for
/// Mathematical Functions", 1989) with branches turned into lane selects: a few ulp from the
/// exact value (checked against Double in GateActivationTests). The `sigmoid`/`tanh` ops and
/// the reference cells keep libm.

/// Eight consecutive floats from `p + j`, or, when fewer than eight remain before `count`, the
/// remaining ones padded with zeros (the tail of a row whose length is not a multiple of 8).
@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ j: Int, _ count: Int) -> SIMD8<Float> {
    if j &+ 8 <= count { return UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>()
    for k in 0..<(count &- j) { v[k] = p[j &+ k] }
    return v
}

/// Stores the lanes of `v` at `p + j`, only those before `count` (see `load8`).
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ j: Int, _ count: Int) {
    if j &+ 8 <= count { return UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<Float>.self) }
    for k in 0..<(count &- j) { p[j &+ k] = v[k] }
}

/// e^x per lane, a few ulp relative error; inputs are clamped to [-87.3, 88.3] (where the
/// result is a normal Float); NaN stays NaN.
///
/// Write x = n·ln2 + r with n an integer and |r| ≤ ln2/2; then e^x = 2^n · e^r, with e^r from
/// a degree-6 polynomial and 2^n built directly in the exponent bits.
@inline(__always)
func gateExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var x = x.replacing(with: -87.3, where: x .< -87.3)
    x = x.replacing(with: 88.3, where: x .> 88.3)
    // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n and leaves n in the low
    // mantissa bits of `shifted` (a branch-free round-to-int).
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4   // x − n·ln2, ln2 split in two parts
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    let er = p * r * r + r + 1                            // e^r
    // n << 23 puts n in the exponent field (the bits of 1.5·2^23 shift out); + bias 127.
    let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &<< 23) &+ 0x3F80_0000
    return er * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// Logistic sigmoid 1 / (1 + e^-x) per lane; saturates cleanly to 0 and 1.
@inline(__always)
func gateSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + gateExp(-x))
}

/// Hyperbolic tangent per lane. For |x| ≥ 0.625, 1 − 2 / (e^{2x} + 1); below, where that form
/// would lose relative precision to cancellation, Cephes' odd polynomial x + x³·P(x²).
@inline(__always)
func gateTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let large = 1 - 2 / (gateExp(2 * x) + 1)
    let z = x * x
    var p = SIMD8<Float>(repeating: -5.704_988_72e-3)
    p = p * z + 2.063_908_88e-2
    p = p * z - 5.373_971_55e-2
    p = p * z + 1.333_144_22e-1
    p = p * z - 3.333_328_19e-1
    let small = p * z * x + x
    return large.replacing(with: small, where: (x .< 0.625) .& (x .> -0.625))
}
