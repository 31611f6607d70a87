import Foundation

/// One row of the training record: a logged train interval, a validation pass or the test pass.
public struct MetricsRow: Sendable, Equatable {
    /// Optimizer steps taken so far.
    public var step: Int
    /// Epoch (1-based) the row belongs to.
    public var epoch: Int
    /// "train", "val" or "test".
    public var split: String
    /// Mean loss over the interval / split.
    public var loss: Double
    /// Fraction correct (classifiers), nil otherwise.
    public var accuracy: Double?
    /// Learning rate in effect.
    public var lr: Double
    /// Training throughput over the interval (train rows only).
    public var samplesPerSec: Double?
    /// Seconds since the run started (including earlier runs when resumed).
    public var elapsedSec: Double
    /// Character language models: the loss in bits per character (nats / ln 2); nil otherwise.
    /// In metrics.jsonl only.
    public var bitsPerChar: Double? = nil

    /// Creates a row.
    public init(step: Int, epoch: Int, split: String, loss: Double, accuracy: Double?, lr: Double,
                samplesPerSec: Double?, elapsedSec: Double) {
        self.step = step; self.epoch = epoch; self.split = split; self.loss = loss
        self.accuracy = accuracy; self.lr = lr; self.samplesPerSec = samplesPerSec
        self.elapsedSec = elapsedSec
    }

    static let csvHeader = "step,epoch,split,loss,accuracy,lr,samples_per_sec,elapsed_sec"
    /// The header of a character model's metrics.csv: one more column, bits per character.
    static let characterCSVHeader = csvHeader + ",bits_per_char"

    /// The row as a line of metrics.csv; the bits-per-character column only for character models.
    var csvLine: String {
        ([String(step), String(epoch), split, fmt(loss), accuracy.map(fmt) ?? "",
          fmt(lr), samplesPerSec.map(fmt) ?? "", fmt(elapsedSec)] + (bitsPerChar.map { [fmt($0)] } ?? []))
            .joined(separator: ",")
    }

    var jsonLine: String {
        var parts = ["\"step\":\(step)", "\"epoch\":\(epoch)", "\"split\":\"\(split)\"", "\"loss\":\(jsonNumber(loss))"]
        if let a = accuracy { parts.append("\"accuracy\":\(jsonNumber(a))") }
        parts.append("\"lr\":\(jsonNumber(lr))")
        if let s = samplesPerSec { parts.append("\"samples_per_sec\":\(jsonNumber(s))") }
        if let b = bitsPerChar { parts.append("\"bits_per_char\":\(jsonNumber(b))") }
        parts.append("\"elapsed_sec\":\(jsonNumber(elapsedSec))")
        return "{" + parts.joined(separator: ",") + "}"
    }
}

private func fmt(_ x: Double) -> String { x.isFinite ? "\(x)" : "nan" }
/// JSON has no NaN/Infinity literals; a non-finite value is written as null.
private func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

/// Appends metrics rows to RUN_DIR/metrics.jsonl and RUN_DIR/metrics.csv (rank 0 only), and
/// hands each to the TensorBoard event file when the run writes one (`train.tensorboard`):
/// every row of the record goes through `append`, so the sinks hold the same rows.
///
/// On resume, rows logged after the checkpoint's step by the interrupted run are dropped,
/// so the files read as if the run had never stopped (`TensorBoardWriter` does the same).
public final class MetricsWriter {
    private let jsonl: FileHandle
    private let csv: FileHandle
    /// The TensorBoard event file, or nil with `train.tensorboard: false`.
    public let tensorBoard: TensorBoardWriter?
    /// Paths of the two files.
    public let jsonlURL: URL, csvURL: URL

    /// Opens (creating, or truncating to rows with step ≤ `keepUpToStep` when resuming) the
    /// metrics files in `runDirectory`; a character model's metrics.csv has a bits_per_char column.
    /// `tensorBoard` receives every row as well.
    public init(runDirectory: URL, keepUpToStep: Int?, characterModel: Bool = false,
                tensorBoard: TensorBoardWriter? = nil) throws {
        self.tensorBoard = tensorBoard
        jsonlURL = runDirectory.appendingPathComponent("metrics.jsonl")
        csvURL = runDirectory.appendingPathComponent("metrics.csv")
        var keptJSON = "", keptCSV = (characterModel ? MetricsRow.characterCSVHeader : MetricsRow.csvHeader) + "\n"
        if let limit = keepUpToStep {
            keptJSON = try Self.linesUpTo(step: limit, in: jsonlURL, header: false)
            let rows = try Self.linesUpTo(step: limit, in: csvURL, header: true)
            keptCSV += rows
        }
        try Data(keptJSON.utf8).write(to: jsonlURL, options: .atomic)
        try Data(keptCSV.utf8).write(to: csvURL, options: .atomic)
        jsonl = try FileHandle(forWritingTo: jsonlURL)
        csv = try FileHandle(forWritingTo: csvURL)
        try jsonl.seekToEnd()
        try csv.seekToEnd()
    }

    /// Keeps lines of an existing metrics file whose step is ≤ `step`, except test rows: those
    /// are written once at the very end, which a resumed run reaches again.
    private static func linesUpTo(step: Int, in url: URL, header: Bool) throws -> String {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return "" }
        var out = ""
        for (i, line) in text.split(separator: "\n").enumerated() {
            if header && i == 0 { continue }
            let s: Int?
            if header {
                s = Int(line.prefix { $0 != "," })
            } else if let r = line.range(of: "\"step\":") {
                s = Int(line[r.upperBound...].prefix { $0.isNumber })
            } else { s = nil }
            let isTest = header ? line.contains(",test,") : line.contains("\"split\":\"test\"")
            if let s, s <= step, !isTest { out += line + "\n" }
        }
        return out
    }

    /// Appends one row to both files and the event file (flushed, so a killed run keeps what it
    /// logged).
    public func append(_ row: MetricsRow) throws {
        try jsonl.write(contentsOf: Data((row.jsonLine + "\n").utf8))
        try csv.write(contentsOf: Data((row.csvLine + "\n").utf8))
        try tensorBoard?.append(row)
    }

    deinit {
        try? jsonl.close()
        try? csv.close()
    }
}
