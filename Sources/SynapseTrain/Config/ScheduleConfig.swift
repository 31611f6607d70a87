import SynapseOptim

/// How the learning rate changes during training: `train.schedule:`.
///
/// ```yaml
/// schedule: { name: cosine, warmup_steps: 200, min_lr: 0 }
/// schedule: { name: step, step_size: 5, gamma: 0.1 }        # epochs
/// schedule: { name: multistep, milestones: [10, 15], gamma: 0.1 }
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
    }

    /// The decay (`name`). Default `constant`.
    public var name: Name
    /// Steps of linear warmup from lr/warmup_steps up to lr (`warmup_steps`). Default 0.
    public var warmupSteps: Int
    /// Final rate of the cosine schedule (`min_lr`). Default 0.
    public var minLR: Float
    /// Epochs between decays of the step schedule (`step_size`). Default 10.
    public var stepSize: Int
    /// Decay factor of step and multistep (`gamma`). Default 0.1.
    public var gamma: Float
    /// Epochs at which multistep decays (`milestones`). Default [].
    public var milestones: [Int]

    /// A schedule section; every argument defaults to the value documented on its property.
    public init(name: Name = .constant, warmupSteps: Int = 0, minLR: Float = 0, stepSize: Int = 10,
                gamma: Float = 0.1, milestones: [Int] = []) {
        self.name = name
        self.warmupSteps = warmupSteps
        self.minLR = minLR
        self.stepSize = stepSize
        self.gamma = gamma
        self.milestones = milestones
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case warmupSteps = "warmup_steps"
        case minLR = "min_lr"
        case stepSize = "step_size"
        case gamma, milestones
    }

    /// Decodes the section; absent keys take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ScheduleConfig()
        self.init(name: try c.decode(.name, or: d.name),
                  warmupSteps: try c.decode(.warmupSteps, or: d.warmupSteps),
                  minLR: try c.decode(.minLR, or: d.minLR),
                  stepSize: try c.decode(.stepSize, or: d.stepSize),
                  gamma: try c.decode(.gamma, or: d.gamma),
                  milestones: try c.decode(.milestones, or: d.milestones))
    }

    /// Checks value ranges; `path` is where this section sits (`train.schedule`).
    func validate(at path: ConfigKeyPath) throws(ConfigError) {
        try require(warmupSteps >= 0, path.appending("warmup_steps"), "must be 0 or more steps, got \(warmupSteps)")
        try require(minLR >= 0 && minLR.isFinite, path.appending("min_lr"), "must be 0 or more, got \(minLR)")
        try require(stepSize >= 1, path.appending("step_size"), "must be at least 1 epoch, got \(stepSize)")
        try require(gamma > 0 && gamma <= 1, path.appending("gamma"), "must be in (0, 1], got \(gamma); e.g. gamma: 0.1")
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
        }
        return LearningRateSchedule(baseLearningRate: lr, kind: kind, warmupSteps: warmupSteps)
    }
}
