import SynapseOptim

/// How the learning rate changes during training: `train.schedule:`.
///
/// ```yaml
/// schedule: { name: cosine, warmup_steps: 200, min_lr: 0 }
/// schedule: { name: step, step_size: 5, gamma: 0.1 }        # epochs
/// schedule: { name: multistep, milestones: [10, 15], gamma: 0.1 }
/// schedule: { name: plateau, patience: 2, gamma: 0.5, min_lr: 1.0e-4 }   # on validation loss
/// ```
public struct ScheduleConfig: Codable, Equatable, Sendable {
    /// The decay after warmup.
    public enum Name: String, Codable, CaseIterable, Sendable {
        /// No decay.
        case constant
        /// Multiply by gamma every `step_size` epochs (PyTorch StepLR).
        case step
        /// Multiply by gamma at each epoch in `milestones` (PyTorch MultiStepLR).
        case multistep
        /// Cosine annealing to `min_lr` over the run, per step (PyTorch CosineAnnealingLR).
        case cosine
        /// Multiply by gamma when the validation loss has not improved for `patience`
        /// epochs, down to `min_lr` (PyTorch ReduceLROnPlateau); needs data.validation_size > 0.
        case plateau
    }

    /// The decay (`name`). Default `constant`.
    public var name = Name.constant
    /// Steps of linear warmup from lr/warmup_steps up to lr (`warmup_steps`). Default 0.
    public var warmupSteps = 0
    /// Final rate of the cosine schedule, floor of the plateau schedule (`min_lr`). Default 0.
    public var minLR: Float = 0
    /// Epochs between decays of the step schedule (`step_size`). Default 10.
    public var stepSize = 10
    /// Decay factor of step, multistep and plateau (`gamma`). Default 0.1.
    public var gamma: Float = 0.1
    /// Epochs at which multistep decays (`milestones`). Default [].
    public var milestones: [Int] = []
    /// plateau: validations without improvement before the rate is lowered (`patience`). Default 2.
    public var patience = 2

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case warmupSteps = "warmup_steps"
        case minLR = "min_lr"
        case stepSize = "step_size"
        case gamma, milestones, patience
    }

    /// Checks value ranges; `path` is where this section sits (`train.schedule`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(warmupSteps >= 0, path.appending("warmup_steps"), "must be 0 or more steps, got \(warmupSteps)")
        try require(minLR >= 0 && minLR.isFinite, path.appending("min_lr"), "must be 0 or more, got \(minLR)")
        try require(stepSize >= 1, path.appending("step_size"), "must be at least 1 epoch, got \(stepSize)")
        try require(gamma > 0 && gamma <= 1, path.appending("gamma"), "must be in (0, 1], got \(gamma); e.g. gamma: 0.1")
        try require(patience >= 0, path.appending("patience"), "must be 0 or more epochs, got \(patience)")
        try require(milestones.allSatisfy { $0 >= 1 } && milestones == milestones.sorted(), path.appending("milestones"),
                    "must be increasing epoch numbers ≥ 1, got \(milestones); e.g. milestones: [10, 15]")
    }

    /// The schedule for a base learning rate `lr`.
    public func schedule(baseLearningRate lr: Float) -> LearningRateSchedule {
        let kind: LearningRateSchedule.Kind = switch name {
        case .constant: .constant
        case .step: .step(stepSize: stepSize, gamma: gamma)
        case .multistep: .multiStep(milestones: milestones, gamma: gamma)
        case .cosine: .cosine(minLearningRate: minLR)
        case .plateau: .plateau
        }
        return LearningRateSchedule(baseLearningRate: lr, kind: kind, warmupSteps: warmupSteps)
    }
}
