import Foundation

/// The training record of one run, read back from RUN_DIR/metrics.csv (written by
/// `MetricsWriter`): what `synapse plot` draws.
public struct MetricsFile: Sendable, Equatable {
    /// The run directory the rows came from.
    public var runDirectory: String
    /// Every row, in file order (train intervals, validation passes, the final test).
    public var rows: [MetricsRow]

    /// The run's label in plots and summaries: the run directory's last path component
    /// (`runs/fashion-cnn` → "fashion-cnn").
    public var name: String { URL(fileURLWithPath: runDirectory).standardizedFileURL.lastPathComponent }

    /// The rows of one split ("train", "val" or "test").
    public func rows(_ split: String) -> [MetricsRow] { rows.filter { $0.split == split } }

    /// One line on how the run went: its length, its best validation pass (highest accuracy,
    /// or lowest loss without one) and its test result, e.g.
    /// "fashion-cnn: 40 epochs, 34360 steps, 1078 s; best validation accuracy 93.44 % at epoch
    /// 40 (loss 0.1870); test accuracy 92.82 % (loss 0.2094)".
    public var summary: String {
        let last = rows.max { $0.step < $1.step }!
        var parts = ["\(name): \(last.epoch) epoch\(last.epoch == 1 ? "" : "s"), \(last.step) steps, "
                     + "\(Int(last.elapsedSec.rounded())) s"]
        let validation = rows("val").filter { $0.loss.isFinite }
        if validation.contains(where: { $0.bitsPerChar != nil }), let best = validation.min(by: { $0.loss < $1.loss }) {
            // A character model: its figure is the validation loss in bits per character; it has no test split.
            parts.append("lowest validation \(String(format: "%.4f", best.bitsPerChar ?? .nan)) bits/char at step \(best.step) "
                         + "(loss \(decimal(best.loss)), accuracy \(best.accuracy.map(percent) ?? "—"))")
            return parts.joined(separator: "; ")
        }
        if let best = validation.max(by: { a, b in
            if let x = a.accuracy, let y = b.accuracy { return x < y }
            return a.loss > b.loss
        }) {
            if let accuracy = best.accuracy {
                parts.append("best validation accuracy \(percent(accuracy)) at epoch \(best.epoch) (loss \(decimal(best.loss)))")
            } else {
                parts.append("lowest validation loss \(decimal(best.loss)) at epoch \(best.epoch)")
            }
        }
        if let test = rows("test").last {
            parts.append(test.accuracy.map { "test accuracy \(percent($0)) (loss \(decimal(test.loss)))" }
                         ?? "test loss \(decimal(test.loss))")
        } else {
            parts.append("no test pass yet (the run stopped early or is still running)")
        }
        return parts.joined(separator: "; ")
    }

    /// Creates a record from rows already in memory.
    public init(runDirectory: String, rows: [MetricsRow]) {
        self.runDirectory = runDirectory
        self.rows = rows
    }

    /// Reads `runDirectory/metrics.csv`.
    ///
    /// - Throws: `UserError` naming the file (and the line, for a malformed one) when the
    ///   directory or file is missing, the header is not the one `synapse train` writes, a line
    ///   does not have its 8 fields or a field is not a number, or no row was logged yet.
    public static func load(runDirectory: String) throws -> MetricsFile {
        try DirectoryArgument.requireNonEmpty(runDirectory, named: "RUN_DIR")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("\(runDirectory): no such run directory (give the directory `synapse train` wrote: "
                            + "runs/<name>/ or its --run-dir)")
        }
        let path = URL(fileURLWithPath: runDirectory).appendingPathComponent("metrics.csv").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("\(path): missing or unreadable; is \(runDirectory) a run directory written by `synapse train`?")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UserError("\(path): not UTF-8 text; it is not a metrics file written by `synapse train`")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // A run still training may be caught halfway through writing a row: a last line
        // without its newline is not read (it is complete on the next look).
        if !text.hasSuffix("\n") && lines.count > 1 { lines.removeLast() }
        guard let header = lines.first, header == MetricsRow.csvHeader || header == MetricsRow.characterCSVHeader else {
            throw UserError("\(path) line 1: expected the header \"\(MetricsRow.csvHeader)\"; "
                            + "this is not a metrics file written by `synapse train`")
        }
        var rows: [MetricsRow] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            do {
                rows.append(try MetricsRow(csvLine: line, header: String(header)))
            } catch let error as UserError {
                throw UserError("\(path) line \(index + 1): \(error.message)")
            }
        }
        guard !rows.isEmpty else {
            throw UserError("\(path): no rows logged yet (the first training row comes after train.log_every steps)")
        }
        return MetricsFile(runDirectory: runDirectory, rows: rows)
    }
}

extension MetricsRow {
    /// Parses one line of metrics.csv (the inverse of `csvLine`; "nan" reads back as NaN).
    init(csvLine line: Substring, header: String = MetricsRow.csvHeader) throws {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let names = header.split(separator: ",").map(String.init)
        guard fields.count == names.count else {
            throw UserError("expected \(names.count) comma-separated fields (\(header)), got \(fields.count)")
        }
        func integer(_ i: Int) throws -> Int {
            guard let v = Int(fields[i]) else { throw UserError("\(names[i]) is not a whole number: \"\(fields[i])\"") }
            return v
        }
        func number(_ i: Int) throws -> Double {
            guard let v = Double(fields[i]) else { throw UserError("\(names[i]) is not a number: \"\(fields[i])\"") }
            return v
        }
        func optionalNumber(_ i: Int) throws -> Double? { fields[i].isEmpty ? nil : try number(i) }
        let split = fields[2]
        guard ["train", "val", "test"].contains(split) else {
            throw UserError("split must be train, val or test, got \"\(split)\"")
        }
        self.init(step: try integer(0), epoch: try integer(1), split: split, loss: try number(3),
                  accuracy: try optionalNumber(4), lr: try number(5), samplesPerSec: try optionalNumber(6),
                  elapsedSec: try number(7))
        if names.count > 8 { bitsPerChar = try optionalNumber(8) }
    }
}

/// 0.93444 → "93.44 %".
private func percent(_ fraction: Double) -> String { String(format: "%.2f %%", fraction * 100) }
/// 0.187043 → "0.1870".
private func decimal(_ x: Double) -> String { String(format: "%.4f", x) }
