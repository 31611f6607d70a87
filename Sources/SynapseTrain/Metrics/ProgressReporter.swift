import Foundation

/// Shows training progress on rank 0: a live bar on a terminal (epoch, step, loss,
/// samples/s, ETA), or a plain line every `plainEvery` steps when output goes to a file or
/// a batch log.
public final class ProgressReporter {
    private let console: Console
    private let totalSteps: Int
    private let stepsPerEpoch: Int
    private let plainEvery: Int
    private var lastDraw = 0.0

    /// What a prediction is ("samples", "tokens").
    private let unit: String

    /// A reporter for a run of `totalSteps` optimizer steps.
    public init(console: Console, totalSteps: Int, stepsPerEpoch: Int, plainEvery: Int, unit: String = "samples") {
        self.unit = unit
        self.console = console
        self.totalSteps = totalSteps
        self.stepsPerEpoch = stepsPerEpoch
        self.plainEvery = max(1, plainEvery)
    }

    /// Reports the state after `step` (global, 1-based). `samplesPerSec` is the recent rate;
    /// `bitsPerCharacter`, for a text model, is shown after the loss; `budgetLeft`, with a time
    /// budget, the training seconds it has left (the ETA when sooner).
    public func update(step: Int, epoch: Int, loss: Double, bitsPerCharacter: Double? = nil, samplesPerSec: Double,
                       stepsPerSec: Double, now: Double, budgetLeft: Double? = nil) {
        let eta = min(stepsPerSec > 0 ? Double(totalSteps - step) / stepsPerSec : .infinity, max(budgetLeft ?? .infinity, 0))
        let epochStep = (step - 1) % max(stepsPerEpoch, 1) + 1
        if console.isTerminal {
            guard now - lastDraw >= 0.1 || step == totalSteps else { return }
            lastDraw = now
            let width = 24
            let filled = totalSteps > 0 ? min(width, width * step / totalSteps) : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            console.status("epoch \(epoch) [\(bar)] step \(step)/\(totalSteps) (\(epochStep)/\(stepsPerEpoch))  "
                           + "loss \(lossText(loss, bitsPerCharacter))  \(Int(samplesPerSec)) \(unit)/s  ETA \(formatDuration(eta))")
        } else if step % plainEvery == 0 || step == totalSteps {
            console.print("epoch \(epoch) step \(step)/\(totalSteps) loss \(lossText(loss, bitsPerCharacter)) "
                          + "\(Int(samplesPerSec)) \(unit)/s ETA \(formatDuration(eta))")
        }
    }

    /// "0.4321", or for a text model "1.2345 (1.78 bits/char)".
    private func lossText(_ loss: Double, _ bitsPerCharacter: Double?) -> String {
        String(format: "%.4f", loss) + (bitsPerCharacter.map { String(format: " (%.2f bits/char)", $0) } ?? "")
    }
}
