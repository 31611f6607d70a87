#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The run's record as a TensorBoard event file, `RUN_DIR/events.out.tfevents.<unix time>.<host>`
/// (rank 0 only, `train.tensorboard`): the same rows as metrics.jsonl, fed by `MetricsWriter`,
/// as scalars, and the resolved config as a text summary.
///
/// Tags: `<split>/loss`, `<split>/accuracy`, `<split>/bits_per_char` (character models) for the
/// splits train, val and test, plus `train/lr` and `train/samples_per_sec` (`train/tokens_per_sec`
/// for text models); the text `config` at the step the run started from. Each row is one event,
/// written with one `write(2)` as soon as it is logged, so TensorBoard shows a run live and a
/// killed run leaves every complete record readable (readers stop at a record cut short).
///
/// A fresh run removes the event files of an earlier run in the same directory (metrics.jsonl
/// is rewritten too). A resumed run starts a new file, named later than every earlier one, and
/// cuts the earlier files back, exactly as `MetricsWriter` cuts metrics.jsonl: events after the
/// checkpoint's step (the interrupted run's, which the resumed run trains again), test values
/// and the config text at the checkpoint's step (both written again) are dropped, through an
/// atomic rewrite. So every tag has one value per step across the files: one curve.
public final class TensorBoardWriter {
    /// The start of every event file's name; TensorBoard reads files whose name holds "tfevents".
    public static let filePrefix = "events.out.tfevents."
    /// The tag of the config text.
    public static let configTag = "config"
    /// The file this run writes.
    public let url: URL
    private let handle: FileHandle
    private let tokens: Bool

    /// Prepares the run directory's event files and opens a new one.
    /// - Parameters:
    ///   - runDirectory: where the event files are written.
    ///   - keepUpToStep: nil for a fresh run; the checkpoint's step when resuming.
    ///   - config: the resolved config (YAML), written as a text summary at `step`.
    ///   - step: the step training starts from (0, or the checkpoint's).
    ///   - tokens: a text model: its throughput is tokens per second.
    ///   - now: the time in the file's name and first event.
    public init(runDirectory: URL, keepUpToStep: Int?, config: String, step: Int, tokens: Bool, now: Date = Date()) throws {
        self.tokens = tokens
        let earlier = try Self.eventFiles(in: runDirectory)
        for file in earlier {
            if let limit = keepUpToStep {
                try Self.cut(file, toStep: limit)
            } else {
                try FileManager.default.removeItem(at: file)
            }
        }
        // A later name than every earlier file's, even one removed just now: readers take the
        // files in name order, and a running TensorBoard that saw a file keeps reading it from
        // where it stopped, so a new file must never take an old one's name (two runs within
        // the same second did).
        let latest = earlier.compactMap { Self.time(inName: $0.lastPathComponent) }.max() ?? 0
        let seconds = max(Int(now.timeIntervalSince1970), latest + 1)
        url = runDirectory.appendingPathComponent("\(Self.filePrefix)\(seconds).\(Self.hostName())")
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileOperationError("create the TensorBoard event file", url.path) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try write(TensorBoardEvent.fileVersion(wallTime: now.timeIntervalSince1970))
        try write(TensorBoardEvent.text("```yaml\n" + config + "```\n", tag: Self.configTag, step: step,
                                        wallTime: now.timeIntervalSince1970))
    }

    /// Writes one metrics row as scalars.
    public func append(_ row: MetricsRow) throws {
        try write(TensorBoardEvent.scalars(scalars(of: row), step: row.step, wallTime: Date().timeIntervalSince1970))
    }

    /// The tags and values of `row`: loss, accuracy and bits per character where present,
    /// and for training rows the learning rate and the throughput.
    func scalars(of row: MetricsRow) -> [(tag: String, value: Float)] {
        var values: [(String, Float)] = [("\(row.split)/loss", Float(row.loss))]
        if let accuracy = row.accuracy { values.append(("\(row.split)/accuracy", Float(accuracy))) }
        if let bits = row.bitsPerChar { values.append(("\(row.split)/bits_per_char", Float(bits))) }
        if row.split == "train" {
            values.append(("train/lr", Float(row.lr)))
            if let rate = row.samplesPerSec { values.append((tokens ? "train/tokens_per_sec" : "train/samples_per_sec", Float(rate))) }
        }
        return values
    }

    /// Frames and writes one event in a single write, so it reaches the file (and readers) now.
    private func write(_ event: [UInt8]) throws {
        try handle.write(contentsOf: Data(TFRecord.frame(event)))
    }

    /// The event files in `directory`, in name order.
    static func eventFiles(in directory: URL) throws -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasPrefix(filePrefix) }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// The unix time in an event file's name (`events.out.tfevents.1700000000.host` → 1700000000).
    static func time(inName name: String) -> Int? {
        guard name.hasPrefix(filePrefix) else { return nil }
        return Int(name.dropFirst(filePrefix.count).prefix { $0 != "." })
    }

    /// Rewrites `file` without the events a run resumed at `step` writes again (see the type's
    /// doc), and without a damaged tail; left alone when nothing is to go.
    static func cut(_ file: URL, toStep step: Int) throws {
        let bytes = try [UInt8](Data(contentsOf: file))
        let (records, complete) = TFRecord.records(in: bytes)
        let kept = records.filter { record in
            guard let event = TensorBoardEvent.parse(record) else { return false }
            if event.step > step || event.tags.contains(where: { $0.hasPrefix("test/") }) { return false }
            return !(event.step == step && event.tags.contains(configTag))
        }
        guard !complete || kept.count < records.count else { return }
        try AtomicFile.write(Data(kept.flatMap(TFRecord.frame)), to: file.path)
    }

    /// This machine's name, as a file name component.
    static func hostName() -> String {
        let name = ProcessInfo.processInfo.hostName
        let safe = name.map { $0 == "/" || $0.isWhitespace ? "_" : $0 }
        return safe.isEmpty ? "localhost" : String(safe)
    }
}
