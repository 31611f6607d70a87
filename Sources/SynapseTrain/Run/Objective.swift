import SynapseCore

/// What a model is trained to do, as the training step and the evaluation see it: the loss
/// of its output against a batch's targets, and how many targets it gets right. The task
/// (class labels of images today, the next token of a text next) chooses it; the trainer
/// never looks inside.
public protocol Objective {
    /// The loss of `output` against `batch.targets`, recorded on the tape.
    /// - Shape: output [N, C] (or [B, T, C]: one prediction per position) → [1].
    func loss(_ output: Tensor, _ batch: TrainingBatch, reduction: Reduction) -> Tensor
    /// The loss a training step minimizes: `loss(mean)` unless the objective adds terms
    /// (distillation does).
    func trainingLoss(_ output: Tensor, _ batch: TrainingBatch) -> Tensor
    /// How many targets get the largest output.
    func correct(_ output: Tensor, _ batch: TrainingBatch) -> Int
}

extension Objective {
    /// The mean loss over the batch.
    public func trainingLoss(_ output: Tensor, _ batch: TrainingBatch) -> Tensor {
        loss(output, batch, reduction: .mean)
    }
}

/// One class per prediction: per sample (image classes) or per position (the next token).
/// The output is read as rows of class scores [N, C], a [B, T, C] output as B·T rows.
public struct Classification: Objective {
    /// The configured loss (`train.loss`).
    public var kind: TrainConfig.Loss
    /// `train.label_smoothing`, for cross-entropy.
    public var labelSmoothing: Float

    /// The objective of `train.loss` and `train.label_smoothing`.
    public init(kind: TrainConfig.Loss, labelSmoothing: Float = 0) {
        self.kind = kind
        self.labelSmoothing = labelSmoothing
    }

    /// MSE and MAE compare softmax probabilities with one-hot targets (the classic textbook
    /// setup); cross-entropy takes the logits directly.
    public func loss(_ output: Tensor, _ batch: TrainingBatch, reduction: Reduction) -> Tensor {
        let logits = rows(output), labels = batch.targets
        switch kind {
        case .crossEntropy:
            return crossEntropy(logits: logits, labels: labels, reduction: reduction, labelSmoothing: labelSmoothing)
        case .mse, .mae:
            let target = Tensor.zeros(logits.shape)
            let C = logits.shape[1]
            for (n, l) in labels.enumerated() { target.pointer[n * C + Int(l)] = 1 }
            let p = softmax(logits)
            let perElement = kind == .mse ? mseLoss(p, target, reduction: .sum) : maeLoss(p, target, reduction: .sum)
            // Mean over samples (not over N·C elements) so the scale matches cross-entropy.
            return reduction == .sum ? perElement : scale(perElement, by: 1 / Float(max(labels.count, 1)))
        }
    }

    /// Targets whose class gets the largest output.
    public func correct(_ output: Tensor, _ batch: TrainingBatch) -> Int {
        countCorrect(logits: rows(output), labels: batch.targets)
    }

    /// The output as rows of class scores. - Shape: [N, C] as is; [B, T, C] → [B·T, C].
    private func rows(_ output: Tensor) -> Tensor {
        output.rank == 2 ? output : output.reshaped(to: [-1, output.shape[output.rank - 1]])
    }
}

/// Knowledge distillation (`train.distillation`): the training loss is
/// (1 − α)·(the base loss) + α·T²·KL(teacher ‖ student) at temperature T, against the
/// teachers' probabilities for each row of the batch (looked up by `batch.samples`).
/// Evaluation scores the base loss alone.
struct Distillation: Objective {
    var base: Classification
    let teachers: TeacherPredictions
    /// α and T.
    let weight: Float, temperature: Float

    func loss(_ output: Tensor, _ batch: TrainingBatch, reduction: Reduction) -> Tensor {
        base.loss(output, batch, reduction: reduction)
    }

    func trainingLoss(_ output: Tensor, _ batch: TrainingBatch) -> Tensor {
        let teacher = teachers.probabilities(for: batch.samples)
        return add(scale(base.loss(output, batch, reduction: .mean), by: 1 - weight),
                   scale(distillationLoss(logits: output, teacherProbabilities: teacher, temperature: temperature),
                         by: weight))
    }

    func correct(_ output: Tensor, _ batch: TrainingBatch) -> Int { base.correct(output, batch) }
}

/// Number of rows whose largest logit is at the label.
/// - Shape: logits [N, C], labels N → count.
public func countCorrect(logits: Tensor, labels: [Int32]) -> Int {
    let C = logits.shape[1]
    var correct = 0
    for n in 0..<labels.count {
        let row = logits.pointer + n * C
        var best = 0
        for j in 1..<C where row[j] > row[best] { best = j }
        if best == Int(labels[n]) { correct += 1 }
    }
    return correct
}
