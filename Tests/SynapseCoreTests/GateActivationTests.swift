#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SynapseCore

/// The vectorized sigmoid/tanh of the recurrent cells against Double libm.
@Suite struct GateActivationTests {
    @Test func closeToDoublePrecisionOverTheWholeRange() {
        // Relative error of the fast forms over [-20, 20] in steps of 1/1024, in units of
        // Float's epsilon (2^-23); eight different inputs per call, one per lane.
        var worstExp = 0.0, worstSigmoid = 0.0, worstTanh = 0.0
        for start in stride(from: -20 * 1024, to: 20 * 1024, by: 8) {
            let x = SIMD8<Float>((0..<8).map { Float(start + $0) / 1024 })
            let e = gateExp(x), s = gateSigmoid(x), t = gateTanh(x)
            for k in 0..<8 {
                let v = Double(x[k])
                let (ee, es, et) = (exp(v), 1 / (1 + exp(-v)), tanh(v))
                worstExp = max(worstExp, abs(Double(e[k]) - ee) / ee)
                worstSigmoid = max(worstSigmoid, abs(Double(s[k]) - es) / es)
                if v != 0 { worstTanh = max(worstTanh, abs(Double(t[k]) - et) / abs(et)) }
            }
        }
        let eps = Double(Float.ulpOfOne)
        #expect(worstExp < 4 * eps, "exp: \(worstExp / eps) eps")
        #expect(worstSigmoid < 4 * eps, "sigmoid: \(worstSigmoid / eps) eps")
        #expect(worstTanh < 4 * eps, "tanh: \(worstTanh / eps) eps")
    }

    @Test func saturatesWithoutOverflowOrNaN() {
        let x = SIMD8<Float>(-1000, -100, -88.8, 0, 88.8, 100, 1000, -0.3)
        let s = gateSigmoid(x), t = gateTanh(x)
        for k in 0..<8 { #expect(s[k].isFinite && t[k].isFinite && gateExp(x)[k].isFinite, "lane \(k)") }
        #expect(s[0] < 1e-37 && s[6] == 1 && s[3] == 0.5)
        #expect(t[0] == -1 && t[6] == 1 && t[3] == 0)
    }

    @Test func partialLoadsAndStoresTouchOnlyTheRow() {
        // A row of 11 floats: lanes 8…10 are the tail; nothing past 11 is read or written.
        let row = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        defer { row.deallocate() }
        for k in 0..<16 { row[k] = Float(k) }
        let tail = load8(row, 8, 11)
        #expect(tail == SIMD8<Float>(8, 9, 10, 0, 0, 0, 0, 0))
        store8(tail * 2, row, 8, 11)
        #expect((0..<16).map { row[$0] } == [0, 1, 2, 3, 4, 5, 6, 7, 16, 18, 20, 11, 12, 13, 14, 15])
    }
}
