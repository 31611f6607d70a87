import Testing
import SynapseOptim

/// Schedule values at chosen steps, computed by hand from PyTorch's formulas.
@Suite struct LearningRateScheduleTests {
    @Test func constantAndWarmup() {
        let s = LearningRateSchedule(baseLearningRate: 0.1, kind: .constant, warmupSteps: 4)
        // Linear warmup: lr · (step + 1) / 4 for steps 0...3, then lr.
        #expect(s.learningRate(step: 0, epoch: 0, totalSteps: 100) == 0.025)
        #expect(s.learningRate(step: 1, epoch: 0, totalSteps: 100) == 0.05)
        #expect(s.learningRate(step: 3, epoch: 0, totalSteps: 100) == 0.1)
        #expect(s.learningRate(step: 50, epoch: 3, totalSteps: 100) == 0.1)
    }

    @Test func stepDecaysEveryStepSizeEpochs() {
        let s = LearningRateSchedule(baseLearningRate: 1, kind: .step(stepSize: 3, gamma: 0.5))
        // StepLR: 1 · 0.5^⌊epoch / 3⌋ → epochs 0-2: 1, 3-5: 0.5, 6: 0.25.
        #expect([0, 2, 3, 5, 6].map { s.learningRate(step: 0, epoch: $0, totalSteps: 1) } == [1, 1, 0.5, 0.5, 0.25])
    }

    @Test func multiStepDecaysAtMilestones() {
        let s = LearningRateSchedule(baseLearningRate: 0.1, kind: .multiStep(milestones: [2, 4], gamma: 0.1))
        let values = [0, 1, 2, 3, 4, 9].map { s.learningRate(step: 0, epoch: $0, totalSteps: 1) }
        // 0.1 before epoch 2, 0.01 from epoch 2, 0.001 from epoch 4.
        let expected: [Float] = [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]
        for (v, e) in zip(values, expected) { #expect(abs(v - e) <= 1e-9) }
    }

    @Test func cosineAfterWarmup() {
        let s = LearningRateSchedule(baseLearningRate: 1, kind: .cosine(minLearningRate: 0.1), warmupSteps: 10)
        // t = (step − 10) / (110 − 10): t = 0 → 1; t = ½ → 0.1 + 0.9·(1 + cos(π/2))/2 = 0.55; t = 1 → 0.1.
        #expect(s.learningRate(step: 9, epoch: 0, totalSteps: 110) == 1)
        #expect(s.learningRate(step: 10, epoch: 0, totalSteps: 110) == 1)
        #expect(abs(s.learningRate(step: 60, epoch: 0, totalSteps: 110) - 0.55) < 1e-6)
        #expect(abs(s.learningRate(step: 110, epoch: 0, totalSteps: 110) - 0.1) < 1e-6)
        // t = ¼: 0.1 + 0.9·(1 + cos(π/4))/2 = 0.1 + 0.45·1.70710678 = 0.868198
        #expect(abs(s.learningRate(step: 35, epoch: 0, totalSteps: 110) - 0.868198) < 1e-5)
    }

    @Test func plateauLowersAfterPatienceBadEpochs() {
        var p = ReduceOnPlateau()
        let record = { (p: inout ReduceOnPlateau, loss: Double) in
            p.record(loss: loss, factor: 0.5, patience: 1, baseLearningRate: 0.1, minLearningRate: 0.02)
        }
        #expect(!record(&p, 1.0))          // best = 1.0
        #expect(!record(&p, 0.9))          // improved
        #expect(!record(&p, 0.95))         // 1 bad epoch (= patience): not yet
        #expect(record(&p, 0.91))          // 2 bad epochs > patience: × 0.5
        #expect(p.factorSoFar == 0.5)
        #expect(!record(&p, 0.92))
        #expect(record(&p, 0.93))          // × 0.5 again → 0.25 (lr 0.025 ≥ floor 0.02)
        #expect(p.factorSoFar == 0.25)
        #expect(!record(&p, 0.94))
        #expect(record(&p, 0.94))          // would be 0.125 (lr 0.0125): clamped to 0.2 (lr 0.02)
        #expect(abs(p.factorSoFar - 0.2) < 1e-7)
        #expect(!record(&p, 0.95))
        #expect(!record(&p, 0.95))         // at the floor: no further change reported
        let s = LearningRateSchedule(baseLearningRate: 0.1, kind: .plateau)
        #expect(abs(s.learningRate(step: 5, epoch: 5, totalSteps: 9, plateauFactor: p.factorSoFar) - 0.02) < 1e-8)
    }
}
