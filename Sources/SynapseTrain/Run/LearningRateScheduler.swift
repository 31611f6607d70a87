import SynapseOptim

/// The learning rate of a run, in one place: the configured schedule over the run's total
/// steps, plus the reduce-on-plateau factor that validation results lower (`train.schedule`).
/// The replica asks it for each step's rate; the epoch-end policy tells it each validation
/// loss; a checkpoint saves its plateau state (in progress.json), so a resume continues it.
public final class LearningRateScheduler {
    /// The schedule of `train.schedule` from `optimizer.lr`.
    public let schedule: LearningRateSchedule
    /// Steps of the whole run (the span of a cosine without a time budget).
    public let totalSteps: Int
    /// `train.max_minutes` in seconds, or nil without a time budget.
    public let timeBudget: Double?
    /// The plateau state (factor 1 for other schedules).
    public var plateau = ReduceOnPlateau()
    private let config: ScheduleConfig

    /// The scheduler of `config`'s schedule and base rate, over `totalSteps` steps.
    public init(config: Config, totalSteps: Int) {
        self.config = config.train.schedule
        self.schedule = config.train.schedule.schedule(baseLearningRate: config.optimizer.lr)
        self.totalSteps = totalSteps
        self.timeBudget = config.train.timeBudgetSeconds
    }

    /// Whether `trainingSeconds` (rank 0's, agreed by all) have used up the time budget.
    public func budgetSpent(trainingSeconds: Double) -> Bool {
        timeBudget.map { trainingSeconds >= $0 } ?? false
    }

    /// The rate for optimizer step `step` (0-based) of `epoch` (0-based), `trainingSeconds`
    /// into the run (rank 0's clock, agreed by all; read only with a time budget). A step past
    /// the planned total (a `synapse verify` longer than the run) is treated as the last.
    public func rate(step: Int, epoch: Int, trainingSeconds: Double = 0) -> Float {
        schedule.learningRate(step: step, epoch: epoch, totalSteps: max(totalSteps, step + 1),
                              plateauFactor: plateau.factorSoFar, budgetUsed: timeBudget.map { trainingSeconds / $0 })
    }

    /// Records an epoch's validation loss; with the plateau schedule, returns the new base
    /// rate when the loss has not improved for `patience + 1` epochs (nil otherwise).
    public func recordValidation(loss: Double) -> Float? {
        guard config.name == .plateau else { return nil }
        let lowered = plateau.record(loss: loss, factor: config.gamma, patience: config.patience,
                                     baseLearningRate: schedule.baseLearningRate, minLearningRate: config.minLR)
        return lowered ? schedule.baseLearningRate * plateau.factorSoFar : nil
    }
}
