import Foundation
import Testing
import SynapseComm
import SynapseCore
@testable import SynapseTrain

/// `train.distillation`: the teachers' table holds exactly their softened predictions (the
/// moving average when they kept one), a step mixes cross-entropy and the distillation loss
/// by the configured weight, mismatched teachers are refused, and resume stays exact.
@Suite(.enabled(if: TrainerFixture.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct TrainerDistillationTests {
    /// The trainer fixture's data and MLP; `train` adds keys to the train section.
    private func config(_ train: String = "", seed: Int = 42, model: String = "{ hidden: [32], dropout: 0.1, init: he_uniform }",
                        epochs: Int = 1) throws -> Config {
        try ConfigLoader.parse(yaml: """
            name: trainer-distillation-test
            model: \(model)
            data: { train_subset: 2000, validation_size: 500, test_subset: 500 }
            train: { epochs: \(epochs), batch_size: 50, log_every: 10, eval_batch_size: 250, seed: \(seed)\(train) }
            optimizer: { name: sgd, lr: 0.1 }
            """)
    }

    /// A teacher trained for one epoch (30 steps) into `directory`.
    private func teacher(in directory: ScratchDirectory, _ train: String = "",
                         model: String = "{ hidden: [48], init: he_uniform }", seed: Int = 42) throws -> Trainer {
        let t = try TrainerFixture.trainer(try config(train, seed: seed, model: model), in: directory)
        _ = try t.run(resumeFrom: nil)
        return t
    }

    @Test func theTableHoldsTheTeachersSoftenedPredictions() throws {
        let runA = try ScratchDirectory("distill-teacher-a"), runB = try ScratchDirectory("distill-teacher-b")
        let runS = try ScratchDirectory("distill-student")
        defer { runA.remove(); runB.remove(); runS.remove() }
        // Teacher B is convolutional (it reads the MLP student's rows as images) and keeps a
        // moving average: the table must use it, as its validation did.
        let a = try teacher(in: runA)
        let b = try teacher(in: runB, ", ema_decay: 0.9", model: "{ kind: cnn, conv: [4], kernel_size: 3 }")
        let T: Float = 3
        let student = try TrainerFixture.trainer(try config(", distillation: { teachers: [\(runA.path), \(runB.path)], temperature: \(T) }"),
                                                 in: runS)
        let table = try TeacherPredictions(config: student.config.train.distillation, student: student.config,
                                           data: student.data, comm: LocalCommunicator())
        let batch = try student.data.trainBatch(epoch: 0, index: 3, globalBatch: 50, rank: 0, worldSize: 1)
        let got = table.probabilities(for: batch.samples).scalars

        let images = Tensor(shape: [50, 1, 28, 28], values: batch.inputs.scalars)
        func softened(_ t: Trainer, _ x: Tensor) -> [Float] {
            t.model.eval()
            return noGrad { t.replica.withEvaluatedWeights { softmax(scale(t.model(x), by: 1 / T)).scalars } }
        }
        let pa = softened(a, batch.inputs), pb = softened(b, images)
        let expected = zip(pa, pb).map { 0.5 * $0 + 0.5 * $1 }
        #expect(got.count == 50 * 10)
        let error = zip(got, expected).map { abs($0 - $1) }.max()!
        #expect(error < 1e-6, "max |table − teachers' average| = \(error)")
        // Without the average B's raw weights predict differently: the table is not those.
        b.model.eval()
        let raw = noGrad { softmax(scale(b.model(images), by: 1 / T)).scalars }
        let rawExpected = zip(pa, raw).map { 0.5 * $0 + 0.5 * $1 }
        #expect(zip(got, rawExpected).map { abs($0 - $1) }.max()! > 1e-4, "the table ignored teacher B's moving average")
        // Rows are probability distributions.
        for r in 0..<50 {
            expectSum(got[(r * 10)..<(r * 10 + 10)], row: r)
        }
    }

    private func expectSum(_ row: ArraySlice<Float>, row r: Int) {
        let s = row.reduce(0, +)
        #expect(abs(s - 1) < 1e-5, "row \(r) sums to \(s)")
    }

    @Test func aStepMixesCrossEntropyAndTheDistillationLoss() throws {
        let runT = try ScratchDirectory("distill-step-teacher"), runS = try ScratchDirectory("distill-step-student")
        let runR = try ScratchDirectory("distill-step-reference")
        defer { runT.remove(); runS.remove(); runR.remove() }
        _ = try teacher(in: runT)
        let alpha: Float = 0.7, T: Float = 2
        let student = try TrainerFixture.trainer(
            try config(", distillation: { teachers: [\(runT.path)], temperature: \(T), weight: \(alpha) }"), in: runS)
        let reference = try TrainerFixture.trainer(try config(), in: runR, data: student.data)
        let table = try TeacherPredictions(config: student.config.train.distillation, student: student.config,
                                           data: student.data, comm: LocalCommunicator())
        let batch = try student.data.trainBatch(epoch: 0, index: 0, globalBatch: 50, rank: 0, worldSize: 1)
        let p = table.probabilities(for: batch.samples)

        // By hand on the reference (same initial weights, same dropout masks at step 0):
        // gradient of cross-entropy alone and of the distillation loss alone, then mixed.
        let w0 = Array(reference.arena.values)
        #expect(Array(student.arena.values) == w0)
        let (ce, _) = reference.replica.forwardBackward(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples), step: 0)
        let gCE = Array(reference.arena.grads)
        reference.replica.reseedRandomizedLayers(step: 0)
        reference.arena.zeroGrads()
        let kd = distillationLoss(logits: reference.model(batch.inputs), teacherProbabilities: p, temperature: T)
        kd.backward()
        let gKD = Array(reference.arena.grads)
        let expected = w0.indices.map { w0[$0] - 0.1 * ((1 - alpha) * gCE[$0] + alpha * gKD[$0]) }

        try student.loadTeachers()   // the student trains against its own table, built like `table`
        let result = try student.replica.step(TrainingBatch(inputs: batch.inputs, targets: batch.labels, samples: batch.samples),
                                              at: StepPosition(step: 0, epoch: 0))
        let mixed = (1 - alpha) * ce + alpha * kd.item()
        #expect(abs(result.loss - mixed) <= 1e-5 * mixed, "loss \(result.loss), expected \(mixed)")
        let got = Array(student.arena.values)
        let error = zip(got, expected).map { abs($0 - $1) }.max()!
        let plain = w0.indices.map { w0[$0] - 0.1 * gCE[$0] }
        #expect(error < 1e-6, "max |step − hand computation| = \(error)")
        #expect(zip(got, plain).map { abs($0 - $1) }.max()! > 100 * max(error, 1e-7), "the teacher made no difference")
    }

    @Test func aTeacherThatSawOtherImagesIsRefused() throws {
        let runT = try ScratchDirectory("distill-wrong-seed"), runS = try ScratchDirectory("distill-wrong-student")
        defer { runT.remove(); runS.remove() }
        _ = try teacher(in: runT, seed: 7)   // seed 7 holds out a different validation split
        let student = try TrainerFixture.trainer(try config(", distillation: { teachers: [\(runT.path)] }"), in: runS)
        let error = "\(try #require(throws: (any Error).self) { try student.loadTeachers() })"
        #expect(error.contains("train.seed 7 (here 42)"), "\(error)")
        #expect(error.contains("validation images"), "\(error)")

        let missing = try TrainerFixture.trainer(try config(", distillation: { teachers: [\(runS.path)/no-such-run] }"), in: runS)
        let noTeacher = "\(try #require(throws: (any Error).self) { try missing.loadTeachers() })"
        #expect(noTeacher.contains("cannot load \(runS.path)/no-such-run"), "\(noTeacher)")
    }

    @Test func resumeIsExact() throws {
        let runT = try ScratchDirectory("distill-resume-teacher")
        defer { runT.remove() }
        _ = try teacher(in: runT)
        try TrainerFixture.expectExactResume(
            try config(", distillation: { teachers: [\(runT.path)], weight: 0.6 }", epochs: 2), name: "distill")
    }
}
