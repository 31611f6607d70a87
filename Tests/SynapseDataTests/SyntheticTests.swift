import Testing
import Foundation
import SynapseData
import SynapseTestSupport

@Suite struct SyntheticTests {
    @Test func xorTruthTable() {
        let xor = Synthetic.xor()
        #expect(xor.inputs.shape == [4, 2] && xor.targets.shape == [4, 1])
        let x = xor.inputs.scalars, t = xor.targets.scalars
        for i in 0..<4 {
            #expect(t[i] == ((x[2 * i] != x[2 * i + 1]) ? 1 : 0))
        }
    }

    @Test func twoSpiralsAreSeededAndMirrored() {
        let a = Synthetic.twoSpirals(pointsPerClass: 100, noise: 0.05, seed: 4)
        let b = Synthetic.twoSpirals(pointsPerClass: 100, noise: 0.05, seed: 4)
        let c = Synthetic.twoSpirals(pointsPerClass: 100, noise: 0.05, seed: 5)
        #expect(a.inputs.shape == [200, 2] && a.labels.count == 200 && a.classCount == 2)
        #expect(a.inputs.scalars == b.inputs.scalars)
        #expect(a.inputs.scalars != c.inputs.scalars)
        #expect(a.labels.filter { $0 == 1 }.count == 100)
        // Without noise, class 1's point i is class 0's point i rotated by π.
        let clean = Synthetic.twoSpirals(pointsPerClass: 10, noise: 0, seed: 0).inputs.scalars
        for i in 0..<10 {
            expectClose([clean[20 + 2 * i], clean[21 + 2 * i]], [-clean[2 * i], -clean[2 * i + 1]])
        }
        // Radius grows along the spiral, ending near 1.
        let last = (clean[18] * clean[18] + clean[19] * clean[19]).squareRoot()
        #expect(last > 0.85 && last < 1)
    }

    @Test func sineIsSeededAndFollowsTheCurve() {
        let a = Synthetic.sine(count: 500, noise: 0.05, seed: 1)
        #expect(a.inputs.shape == [500, 1] && a.targets.shape == [500, 1])
        #expect(a.inputs.scalars == Synthetic.sine(count: 500, noise: 0.05, seed: 1).inputs.scalars)
        let x = a.inputs.scalars, y = a.targets.scalars
        #expect(x.allSatisfy { $0 >= -Float.pi && $0 < Float.pi })
        let residuals = zip(x, y).map { Double($1 - sin($0)) }
        let rms = (residuals.map { $0 * $0 }.reduce(0, +) / 500).squareRoot()
        #expect(abs(rms - 0.05) < 0.01, "noise rms \(rms)")
    }
}
