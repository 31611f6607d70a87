import Testing
import SynapseCore
import SynapseTestSupport

/// geluTanh: hand-computed values, closeness to the exact GELU, gradient checks.
/// (Values against numpy are in TransformerReferenceTests.)
@Suite struct GELUTanhOpTests {
    @Test func handComputed() {
        // u = √(2/π)(x + 0.044715 x³), y = ½ x (1 + tanh u).
        // x = 1: u = 0.7978846 · 1.044715 = 0.8335620, tanh u = 0.6823840 → y = 0.8411920;
        //        y' = ½(1 + tanh u) + ½ x (1 − tanh² u) √(2/π)(1 + 3·0.044715 x²)
        //           = 0.8411920 + 0.2417721 = 1.0829641.
        // x = 2: u = 1.8811884, tanh u = 0.9545977 → y = 1.9545977; y' = 0.9772988 + 0.1088004.
        // x = 0: y = 0, y' = ½.  x = ±10: tanh u = ±1 to Float precision → y = 10 and -0, y' = 1 and 0.
        let x = Tensor(shape: [6], values: [0, 1, -1, 2, 10, -10], requiresGrad: true)
        let y = geluTanh(x)
        sum(y).backward()
        expectClose(y.scalars, [0, 0.8411920, -0.1588080, 1.9545977, 10, 0], rtol: 1e-5, atol: 1e-6)
        expectClose(x.grad!.scalars, [0.5, 1.0829641, -0.0829641, 1.0860992, 1, 0], rtol: 1e-5, atol: 1e-6)
    }

    @Test func staysWithinAThousandthOfTheExactGELU() {
        // The largest gap over [-8, 8] is 4.73e-4 (float64); a sign or coefficient slip in the
        // approximation would be far outside this.
        let x = Tensor(shape: [1601], values: (0...1600).map { Float($0) / 100 - 8 })
        expectClose(geluTanh(x).scalars, gelu(x).scalars, rtol: 0, atol: 5e-4)
    }

    @Test func extremeInputsStayFinite() {
        let (x, y) = (Tensor(shape: [4], values: [-1e4, 1e4, -100, 100], requiresGrad: true), [Float(0), 1e4, 0, 100])
        let out = geluTanh(x)
        sum(out).backward()
        expectClose(out.scalars, y)
        expectClose(x.grad!.scalars, [0, 1, 0, 1])
    }

    @Test(arguments: [[7], [3, 4], [2, 1, 9]])
    func gradientChecks(shape: [Int]) {
        // 7 and 9 leave a tail after the 8-lane loop; 12 does not.
        let x = randomTensor(shape, seed: 50, low: -3, high: 3)
        expectGradientsMatch([x], "geluTanh \(shape)") { weightedSum(geluTanh(x), seed: 51) }
        expectBackwardAccumulates(into: x, "geluTanh") { weightedSum(geluTanh(x), seed: 52) }
    }
}
