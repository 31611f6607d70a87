import Foundation
import SynapseCore
import SynapseComm

/// What the distillation teachers (`train.distillation`) predict for every training image:
/// their softmax at temperature T, averaged over the teachers, computed once before training.
///
/// The training images are never augmented when distilling, so each image's teacher output
/// is the same in every epoch; computing it once costs one evaluation pass per teacher
/// instead of a teacher forward pass at every step. The ranks share that pass (chunk k of
/// the training split on rank k mod S) and sum their parts with one all-reduce: every entry
/// comes from exactly one rank, so the table is bit-identical for any number of ranks, and a
/// resumed run rebuilds exactly the table it had.
final class TeacherPredictions {
    /// The temperature the probabilities were softened with.
    let temperature: Float
    /// The teachers' averaged probabilities, one row of `classes` per dataset index (rows of
    /// validation images stay 0). - Shape: [trainingSetSize, classes].
    private var table: [Float]
    private let classes: Int
    /// Rows for one training batch, reused. - Shape: [B, classes].
    private var rows: Tensor?

    /// Loads every teacher of `config` (each rank reads the checkpoints), checks it was
    /// trained on `data`'s split, and scores the training split with it.
    /// Collective: all ranks call it together.
    init(config: DistillationConfig, student: Config, data: TrainingData, comm: any Communicator) throws {
        let sync = DistributedSync(comm: comm)
        temperature = config.temperature
        classes = data.classCount
        table = [Float](repeating: 0, count: data.trainingSetSize * data.classCount)
        for path in config.teachers {
            let teacher = try sync.agreeOnSuccess("loading the distillation teacher \(path)") {
                try Self.loadTeacher(path, student: student, data: data, comm: comm)
            }
            try accumulate(teacher, weight: 1 / Float(config.teachers.count), data: data, comm: comm)
        }
        try table.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
    }

    /// The teacher probabilities for the rows of a training batch.
    /// - Shape: samples [B] dataset indices → [B, classes].
    func probabilities(for samples: ArraySlice<Int>) -> Tensor {
        if rows?.shape[0] != samples.count { rows = Tensor(uninitializedShape: [samples.count, classes]) }
        let out = rows!.pointer
        table.withUnsafeBufferPointer { table in
            for (r, sample) in samples.enumerated() {
                (out + r * classes).update(from: table.baseAddress! + sample * classes, count: classes)
            }
        }
        return rows!
    }

    /// Adds `weight` × softmax(teacher logits / T) for this rank's chunks of the training split.
    private func accumulate(_ teacher: TrainedModel, weight: Float, data: TrainingData, comm: any Communicator) throws {
        let C = classes, T = temperature
        // The student's batches are laid out for the student; a convolutional teacher of an
        // MLP student (or the reverse) reads the same floats as images (or rows).
        let sampleShape = teacher.config.model.kind.takesImages ? data.imageShape : [data.inputFeatures]
        let model = teacher.replica.model
        model.eval()
        try noGrad {
            try teacher.replica.withEvaluatedWeights {
                try data.forEachTrainingChunk(size: 500, rank: comm.rank, worldSize: comm.size) { x, samples in
                    let input = Tensor(shape: [samples.count] + sampleShape, storage: x.storage)
                    let p = softmax(scale(model(input), by: 1 / T))
                    table.withUnsafeMutableBufferPointer { table in
                        for (r, sample) in samples.enumerated() {
                            for j in 0..<C { table[sample * C + j] += weight * p.pointer[r * C + j] }
                        }
                    }
                }
            }
        }
    }

    /// The teacher's checkpoint, rebuilt on the student's data after checking that it
    /// learned from exactly the student's training images, normalized the same way.
    private static func loadTeacher(_ path: String, student: Config, data: TrainingData,
                                    comm: any Communicator) throws -> TrainedModel {
        let loaded: LoadedCheckpoint
        do {
            loaded = try CheckpointStore.load(path: path)
        } catch {
            throw UserError("train.distillation.teachers: cannot load \(path): \(error). "
                            + "Name a run directory or checkpoint written by synapse train (train the teacher first)")
        }
        // The teacher's own batch size must not stop it from being rebuilt on this many ranks:
        // it only runs the forward pass here.
        let teacher = try TrainedModel(loaded, overrides: ["data.path=\(student.data.path)", "train.batch_size=\(comm.size)"],
                                       comm: comm, data: data)
        let t = teacher.config, s = student
        var differences: [String] = []
        func compare<V: Equatable>(_ key: String, _ teacher: V, _ student: V, _ why: String = "") {
            if teacher != student { differences.append("\(key) \(teacher) (here \(student))\(why)") }
        }
        compare("data.dataset", t.data.dataset.rawValue, s.data.dataset.rawValue)
        compare("data.validation_size", t.data.validationSize, s.data.validationSize)
        compare("data.train_subset", t.data.trainSubset, s.data.trainSubset)
        compare("data.normalize", t.data.normalize, s.data.normalize)
        if s.data.validationSize > 0 { compare("train.seed", t.train.seed, s.train.seed, ", which draws the validation split") }
        if !differences.isEmpty {
            throw UserError("train.distillation.teachers: \(loaded.path) was trained with " + differences.joined(separator: ", ")
                            + ". A teacher must have learned from this run's training images only, normalized the same way, "
                            + "or it would pass validation images on to the student; train it with the same data section and train.seed")
        }
        return teacher
    }
}
