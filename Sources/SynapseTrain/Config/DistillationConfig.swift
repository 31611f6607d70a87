/// Knowledge distillation from trained teachers: `train.distillation:`.
///
/// ```yaml
/// distillation:
///   teachers: [runs/fashion-vgg-noaug]   # run directories or checkpoints written by synapse train
///   temperature: 4
///   weight: 0.7                          # loss = 0.3 · cross-entropy + 0.7 · T²·KL(teacher ‖ student)
/// ```
///
/// Before the first step every teacher scores every training image once (eval mode, the
/// moving average of its weights if it kept one); with several teachers their softened
/// probabilities are averaged. Each step then mixes the usual cross-entropy with
/// `distillationLoss` against those probabilities. The teachers must have been trained on
/// this run's dataset, training/validation split and normalization (the same `dataset`,
/// `validation_size`, `train_subset`, `normalize` and, with a validation split, `train.seed`),
/// so no validation image reaches the student through a teacher; how a teacher was trained is
/// otherwise free. This run's `data.augment` is not allowed, because the teachers' outputs are
/// computed on the images as they are.
public struct DistillationConfig: Codable, Equatable, Sendable {
    /// Teacher checkpoints: run directories, checkpoint directories or `latest` links
    /// (`teachers`). Default none = distillation off.
    public var teachers: [String] = []
    /// Softmax temperature T applied to teachers and student alike (`temperature`). Default 4.
    public var temperature: Float = 4
    /// Share α of the distillation term in the loss, in [0, 1]; the cross-entropy with the
    /// labels gets 1 − α (`weight`). Default 0.5.
    public var weight: Float = 0.5

    /// True when distillation is on.
    public var isEnabled: Bool { !teachers.isEmpty }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case teachers, temperature, weight
    }

    /// Checks value ranges; `path` is where this section sits (`train.distillation`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(temperature > 0, path.appending("temperature"),
                    "must be a positive temperature, got \(temperature); e.g. temperature: 4")
        try require(weight >= 0 && weight <= 1, path.appending("weight"),
                    "must be in [0, 1] (the share of the distillation term in the loss), got \(weight); e.g. weight: 0.5")
        for (k, t) in teachers.enumerated() {
            try require(!t.isEmpty, path.appending("teachers").appending(index: k),
                        "is empty; name a run directory or checkpoint written by synapse train")
        }
    }
}
