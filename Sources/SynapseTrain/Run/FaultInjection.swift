/// A TEST AID, not a feature: makes one rank report a NaN loss at one step, so end-to-end
/// tests can check that a non-finite loss on a single rank stops every rank together at that
/// step (distributed rule 4) and leaves the last checkpoint intact.
///
/// Set from the hidden `synapse train --inject-nan STEP:RANK` option. It only replaces the
/// loss VALUE that the rank feeds into the per-step control flags (all-reduced with the gradients); the computation, the
/// gradients and every other rank are untouched, exactly as if that rank's arithmetic had
/// overflowed.
public struct FaultInjection: Sendable, Equatable {
    /// The step (1-based, as printed in progress lines and errors) whose loss becomes NaN.
    public var nanStep: Int
    /// The rank on which it does.
    public var nanRank: Int

    /// Injects NaN at step `nanStep` (1-based) on rank `nanRank`.
    public init(nanStep: Int, nanRank: Int) {
        self.nanStep = nanStep
        self.nanRank = nanRank
    }

    /// Parses `STEP:RANK` (e.g. `12:1`); nil when the text is not two non-negative integers
    /// with STEP ≥ 1.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let step = Int(parts[0]), let rank = Int(parts[1]), step >= 1, rank >= 0 else {
            return nil
        }
        self.init(nanStep: step, nanRank: rank)
    }

    /// The loss value this rank reports for 0-based optimizer step `step`: NaN at the
    /// injected step and rank, `loss` otherwise.
    public func loss(_ loss: Float, step: Int, rank: Int) -> Float {
        step + 1 == nanStep && rank == nanRank ? .nan : loss
    }
}
