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
