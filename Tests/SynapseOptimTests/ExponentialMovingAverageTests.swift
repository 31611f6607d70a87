import Testing
import SynapseCore
import SynapseOptim

/// The moving average of the weights, against values worked out by hand.
struct ExponentialMovingAverageTests {
    /// w = [1, −2] and one buffer b = [4]; decay 0.5.
    private func fixture() -> (ParameterArena, Tensor, ExponentialMovingAverage) {
        let arena = makeArena([("w", [1, -2])])
        let buffer = Tensor(shape: [1], values: [4])
        return (arena, buffer, ExponentialMovingAverage(decay: 0.5, arena: arena, buffers: [buffer]))
    }

    private func set(_ arena: ParameterArena, _ values: [Float]) {
        for (i, v) in values.enumerated() { arena.values[i] = v }
    }

    @Test func updatesFollowTheRampThenTheDecay() {
        let (arena, buffer, ema) = fixture()
        #expect(ema.parameters == [1, -2] && ema.buffers == [[4]], "the average starts at the current weights")

        // Update 1 (t = 0): d = min(0.5, 1/10) = 0.1, so the average moves 90 % of the way.
        set(arena, [3, 0]); buffer.pointer[0] = 6
        ema.update()
        // 0.1·1 + 0.9·3 = 2.8;  0.1·(−2) + 0.9·0 = −0.2;  0.1·4 + 0.9·6 = 5.8
        #expect(abs(ema.parameters[0] - 2.8) < 1e-6 && abs(ema.parameters[1] + 0.2) < 1e-6)
        #expect(abs(ema.buffers[0][0] - 5.8) < 1e-6)

        // Update 2 (t = 1): d = 2/11.  (2·2.8 + 9·5)/11 = 4.6;  (2·(−0.2) + 9·2)/11 = 1.6;
        // (2·5.8 + 9·2)/11 = 29.6/11.
        set(arena, [5, 2]); buffer.pointer[0] = 2
        ema.update()
        #expect(abs(ema.parameters[0] - 4.6) < 1e-5 && abs(ema.parameters[1] - 1.6) < 1e-5)
        #expect(abs(ema.buffers[0][0] - 29.6 / 11) < 1e-5)
        #expect(ema.updates == 2)
        #expect(Array(arena.values) == [5, 2] && buffer.scalars == [2], "the live weights are untouched")
    }

    @Test func theRampReachesTheDecayAndStaysThere() {
        let (_, _, ema) = fixture()
        ema.load(parameters: ema.parameters, buffers: ema.buffers, updates: 7)
        #expect(abs(ema.currentDecay - 8.0 / 17) < 1e-7, "(1 + 7)/(10 + 7) is still below 0.5")
        ema.load(parameters: ema.parameters, buffers: ema.buffers, updates: 8)
        #expect(ema.currentDecay == 0.5, "(1 + 8)/(10 + 8) = 0.5")
        ema.load(parameters: ema.parameters, buffers: ema.buffers, updates: 10_000)
        #expect(ema.currentDecay == 0.5)
    }

    @Test func restartStartsOverAtTheCurrentWeights() {
        let (arena, buffer, ema) = fixture()
        set(arena, [3, 0]); buffer.pointer[0] = 6
        ema.update()
        set(arena, [7, 8]); buffer.pointer[0] = 9
        ema.restart()
        #expect(ema.parameters == [7, 8] && ema.buffers == [[9]] && ema.updates == 0)
    }

    @Test func aConstantModelKeepsItsAverage() {
        let (_, _, ema) = fixture()
        for _ in 0..<50 { ema.update() }
        #expect(ema.parameters == [1, -2] && ema.buffers == [[4]])
    }

    @Test func aValueThatNeverChangesKeepsItsAverageBitForBit() {
        // d·a + (1 − d)·a rounds one ulp away from a for about one Float in 3,500: over 1,000
        // values and 300 updates along the ramp, the plain formula would drift.
        var rng = RandomGenerator(seed: 91)
        let values = (0..<1000).map { _ in rng.nextUniform(-2, 2) }
        let arena = makeArena([("frozen", values)])
        let buffer = Tensor(shape: [3], values: [0.1, -7.3, 1e-3])
        let ema = ExponentialMovingAverage(decay: 0.999, arena: arena, buffers: [buffer])
        var drifted = 0   // updates after which some average was off (it may round back later)
        for _ in 0..<300 {
            ema.update()
            if ema.parameters.map(\.bitPattern) != values.map(\.bitPattern)
                || ema.buffers[0].map(\.bitPattern) != buffer.scalars.map(\.bitPattern) { drifted += 1 }
        }
        #expect(drifted == 0, "the average of a constant moved after \(drifted) of 300 updates")
    }

    @Test func theAveragedWeightsAreInTheModelOnlyInsideTheBlock() {
        let (arena, buffer, ema) = fixture()
        set(arena, [3, 0]); buffer.pointer[0] = 6
        ema.update()
        let average = ema.parameters, averageBuffer = ema.buffers[0]
        let seen = ema.withAveragedWeights { (Array(arena.values), buffer.scalars) }
        #expect(seen.0 == average && seen.1 == averageBuffer)
        #expect(Array(arena.values) == [3, 0] && buffer.scalars == [6], "the live weights are back")
        #expect(ema.parameters == average && ema.buffers[0] == averageBuffer, "and the average is unchanged")
    }
}
