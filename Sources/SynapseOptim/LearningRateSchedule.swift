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
    public func learningRate(step: Int, epoch: Int, totalSteps: Int) -> Float {
        if step < warmupSteps {
            return baseLearningRate * Float(step + 1) / Float(warmupSteps)
        }
        switch kind {
        case .constant:
            return baseLearningRate
        case .step(let size, let gamma):
            return baseLearningRate * powf(gamma, Float(epoch / max(size, 1)))
        case .multiStep(let milestones, let gamma):
            return baseLearningRate * powf(gamma, Float(milestones.filter { $0 <= epoch }.count))
        case .cosine(let minLR):
            let span = max(totalSteps - warmupSteps, 1)
            let t = Float(min(step - warmupSteps, span)) / Float(span)
            return minLR + (baseLearningRate - minLR) * (1 + cosf(Float.pi * t)) / 2
        }
    }
}
