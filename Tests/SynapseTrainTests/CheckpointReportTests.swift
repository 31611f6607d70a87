import Foundation
import Testing
@testable import SynapseTrain

/// The figures `synapse inspect` prints for each tensor.
@Suite struct CheckpointReportTests {
    @Test func statisticsByHand() {
        // Finite values 1, 2, 3, 6: mean 3, deviations −2 −1 0 3, variance 14/4 = 3.5.
        let s = CheckpointReport.Statistics([1, .nan, 2, 3, .infinity, 6, -.infinity])
        #expect(s.count == 7 && s.nonFinite == 3)
        #expect(s.min == 1 && s.max == 6)
        #expect(s.mean == 3)
        #expect(abs(s.std - 3.5.squareRoot()) < 1e-12)
    }

    @Test func statisticsOfNothingFinite() {
        let s = CheckpointReport.Statistics([.nan, .nan])
        #expect(s.min == 0 && s.max == 0 && s.mean == 0 && s.std == 0 && s.nonFinite == 2)
        #expect(CheckpointReport.Statistics([]).count == 0)
    }

    @Test func numbersKeepFourSignificantDigitsAndWholeCounts() {
        #expect(CheckpointReport.number(0.123456) == "0.1235")
        #expect(CheckpointReport.number(-12.3456) == "-12.35")
        #expect(CheckpointReport.number(1.23456e-5) == "1.235e-05")
        #expect(CheckpointReport.number(34360) == "34360")
        #expect(CheckpointReport.number(2.5e7) == "2.5e+07")
    }
}
