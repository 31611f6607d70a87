#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate as a pure function of the step: a base schedule, optionally preceded by
/// a linear warmup.
///
/// Being a function of (step, epoch) with no hidden state, the schedule needs nothing saved in
/// a checkpoint: a resumed run computes exactly the rate the uninterrupted run would have.
/// Formulas follow PyTorch's `torch.optim.lr_scheduler` classes (named on each case).
public struct LearningRateSchedule: Sendable, Equatable {
    /// The shape of the schedule after warmup.
    public enum Kind: Sendable, Equatable {
        /// The base rate throughout.
        case constant
        /// `lr · gamma^⌊epoch / stepSize⌋` (PyTorch `StepLR`, stepped once per epoch).
        case step(stepSize: Int, gamma: Float)
        /// `lr · gamma^(number of milestones ≤ epoch)` (PyTorch `MultiStepLR`).
        case multiStep(milestones: [Int], gamma: Float)
        /// `min + (lr - min) · (1 + cos(π · t / T)) / 2` over the steps after warmup, t = steps
        /// since warmup, T = total steps minus warmup (PyTorch `CosineAnnealingLR`, stepped per
        /// optimizer step). Reference: Loshchilov & Hutter, SGDR, arXiv:1608.03983.
        case cosine(minLearningRate: Float)
        /// The base rate times a factor that `ReduceOnPlateau` lowers when the validation
        /// loss stops improving (PyTorch `ReduceLROnPlateau`); the factor is passed to
        /// `learningRate(step:epoch:totalSteps:plateauFactor:)`.
        case plateau
    }

    /// Rate before any decay.
    public let baseLearningRate: Float
    /// The decay.
    public let kind: Kind
    /// Steps of linear warmup: at step s < warmup the rate is `lr · (s + 1) / warmup`.
    public let warmupSteps: Int

    /// Creates a schedule.
    public init(baseLearningRate: Float, kind: Kind = .constant, warmupSteps: Int = 0) {
        precondition(warmupSteps >= 0, "LearningRateSchedule: warmupSteps must be ≥ 0")
        self.baseLearningRate = baseLearningRate
        self.kind = kind
        self.warmupSteps = warmupSteps
    }

    /// The rate for optimizer step `step` (0-based) in epoch `epoch` (0-based) of a run of
    /// `totalSteps` steps.
    /// `plateauFactor` is the current factor of a `.plateau` schedule (1 otherwise).
    /// `budgetUsed`, for a run with a time budget, is the fraction of it spent so far (0…1):
    /// a cosine then follows it instead of the steps (t = budgetUsed after warmup).
    public func learningRate(step: Int, epoch: Int, totalSteps: Int, plateauFactor: Float = 1,
                             budgetUsed: Double? = nil) -> Float {
        if step < warmupSteps {
            return baseLearningRate * Float(step + 1) / Float(warmupSteps)
        }
        switch kind {
        case .constant:
            return baseLearningRate
        case .plateau:
            return baseLearningRate * plateauFactor
        case .step(let size, let gamma):
            return baseLearningRate * powf(gamma, Float(epoch / max(size, 1)))
        case .multiStep(let milestones, let gamma):
            return baseLearningRate * powf(gamma, Float(milestones.filter { $0 <= epoch }.count))
        case .cosine(let minLR):
            let span = max(totalSteps - warmupSteps, 1)
            let t = budgetUsed.map { Float(min(max($0, 0), 1)) } ?? Float(min(step - warmupSteps, span)) / Float(span)
            return minLR + (baseLearningRate - minLR) * (1 + cosf(Float.pi * t)) / 2
        }
    }
}

/// The state of a reduce-on-plateau schedule (PyTorch `ReduceLROnPlateau`, mode "min",
/// threshold_mode "rel"): after `patience` validations without the loss improving by more than
/// `threshold` (relative), the rate is multiplied by `factor`, never going below `minLearningRate`.
///
/// It changes only from all-reduced validation losses, which every rank sees identically, so
/// every rank lowers the rate at the same epoch; its state is saved in checkpoints.
public struct ReduceOnPlateau: Codable, Sendable, Equatable {
    /// Multiplier applied to the base rate so far.
    public private(set) var factorSoFar: Float = 1
    /// Best validation loss seen (nil before the first; JSON has no infinity).
    public private(set) var best: Double? = nil
    /// Validations since the last improvement.
    public private(set) var badEpochs = 0

    /// A fresh state (factor 1).
    public init() {}

    /// Records a validation loss; returns whether the rate was lowered.
    public mutating func record(loss: Double, factor: Float, patience: Int, threshold: Double = 1e-4,
                                baseLearningRate: Float, minLearningRate: Float) -> Bool {
        if best.map({ loss < $0 * (1 - threshold) }) ?? true {
            best = loss
            badEpochs = 0
            return false
        }
        badEpochs += 1
        guard badEpochs > patience else { return false }
        badEpochs = 0
        let floor = baseLearningRate > 0 ? minLearningRate / baseLearningRate : 0
        let next = max(factorSoFar * factor, floor)
        defer { factorSoFar = next }
        return next < factorSoFar
    }
}
