#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Saves checkpoints of a run crash-safely into `RUN_DIR/checkpoints/` and keeps the last K.
///
/// Layout:
/// ```
/// RUN_DIR/checkpoints/
///   step-00001100/   model.safetensors  optimizer.safetensors  state.json
///   step-00001200/   …
///   latest -> step-00001200        (relative symbolic link)
/// ```
/// A save never leaves a partial checkpoint under a `step-*` name: files go into a hidden
/// `.tmp-step-…-PID` directory, each fsynced; `state.json` (with every file's size and CRC-32)
/// is written LAST, so a directory without it is known to be torn; the directory is fsynced,
/// renamed into place, and only then is `latest` switched (a new link renamed over the old).
/// A crash at any point leaves `latest` on a complete checkpoint. Loading (see
/// `CheckpointStore.load(path:)`) verifies sizes and checksums before anything is used.
///
/// One writer per run directory (rank 0); loading may happen from anywhere.
public struct CheckpointStore: Sendable {
    /// Name of the checkpoints directory inside a run directory.
    public static let directoryName = "checkpoints"
    /// Name of the link to the newest complete checkpoint.
    public static let latestName = "latest"
    /// Name of the state file, written last in every checkpoint.
    public static let stateFileName = "state.json"

    /// The run directory (`runs/NAME`).
    public let runDirectory: String
    /// How many checkpoints to keep (the newest by step); nil keeps all.
    public let keepLast: Int?
    /// Whether re-saving an existing step may swap directories atomically with `renameat2`;
    /// tests turn it off to exercise the two-rename fallback.
    var allowsAtomicExchange = true

    /// A store for `runDirectory/checkpoints`, keeping the newest `keepLast` checkpoints
    /// (nil: keep all).
    public init(runDirectory: String, keepLast: Int? = 3) {
        precondition(keepLast.map { $0 >= 1 } ?? true, "CheckpointStore: keepLast must be at least 1 (or nil to keep all)")
        self.runDirectory = runDirectory
        self.keepLast = keepLast
    }

    /// `RUN_DIR/checkpoints`.
    public var directory: String { DurableFileSystem.join(runDirectory, Self.directoryName) }

    /// The directory name of the checkpoint at `step`: `step-%08d`.
    public static func directoryName(step: Int) -> String { String(format: "step-%08d", step) }

    /// What `save` did.
    public struct SaveResult: Sendable {
        /// The new checkpoint directory.
        public let path: String
        /// Older checkpoints and stale temporary directories that were removed.
        public let removed: [String]
        /// Clean-up problems after the checkpoint was safely saved (the save itself succeeded).
        public let warnings: [String]
    }

    /// Saves `files` (name → content, e.g. `model.safetensors`) and `state` as the checkpoint
    /// for `step`, points `latest` at it, then prunes to the newest `keepLast` and removes stale
    /// `.tmp-*` directories left by crashed saves.
    ///
    /// Re-saving an existing step replaces it: on Linux the two directories are swapped
    /// atomically, elsewhere the old one is renamed aside first (a crash in between leaves
    /// `latest` dangling, which loading reports). Pruning considers only checkpoints with a step
    /// ≤ `step`: ones with a higher step (left by an abandoned run you resumed from an earlier
    /// checkpoint) are kept until you delete them.
    ///
    /// - Parameters:
    ///   - files: the checkpoint's files, by name, with their bytes.
    ///   - step: the optimizer step the checkpoint holds; it names the directory.
    ///   - state: its `files` are replaced by the sizes and CRC-32s of `files`.
    /// - Throws: `CheckpointError(.saveFailed)` naming the failing path and reason; then no new
    ///   `step-*` directory exists and `latest` is unchanged.
    @discardableResult
    public func save(step: Int, files: [String: Data], state: CheckpointState) throws -> SaveResult {
        precondition(step >= 0 && state.step == step, "CheckpointStore.save: step \(step) but state.step \(state.step)")
        for name in files.keys {
            precondition(Self.isPlainFileName(name) && name != Self.stateFileName,
                         "CheckpointStore.save: '\(name)' is not a plain file name (no '/', no leading '.', not state.json)")
        }
        let stepName = Self.directoryName(step: step)
        let final = DurableFileSystem.join(directory, stepName)
        let temporary = DurableFileSystem.join(directory, ".tmp-\(stepName)-\(getpid())")
        var installed = false
        do {
            try DurableFileSystem.makeDirectories(directory)
            try DurableFileSystem.removeTree(temporary)
            guard mkdir(temporary, 0o755) == 0 else { throw FileOperationError("create directory", temporary) }
            var state = state
            state.files = [:]
            for (name, data) in files.sorted(by: { $0.key < $1.key }) {
                try DurableFileSystem.writeNewFileSynced(data, to: DurableFileSystem.join(temporary, name))
                state.files[name] = CheckpointState.FileRecord(bytes: data.count, crc32: CRC32.checksum(data))
            }
            try DurableFileSystem.writeNewFileSynced(try state.jsonData(), to: DurableFileSystem.join(temporary, Self.stateFileName))
            try DurableFileSystem.syncDirectory(temporary)
            try install(temporary, as: final)
            installed = true
            try DurableFileSystem.syncDirectory(directory)
            try pointLatest(at: stepName)
        } catch {
            if !installed { try? DurableFileSystem.removeTree(temporary) }
            let outcome = installed
                ? "the checkpoint directory is complete but `latest` still points to the previous one"
                : "nothing was changed (no new checkpoint directory, `latest` untouched)"
            throw CheckpointError(.saveFailed, "saving checkpoint \(final) failed: \(error); \(outcome). Check that the run directory is writable and the disk has space.")
        }
        let (removed, warnings) = prune(keeping: step)
        return SaveResult(path: final, removed: removed, warnings: warnings)
    }

    /// Renames the complete temporary directory to `final`, replacing an existing checkpoint
    /// of the same step. A replaced checkpoint is left under a `.tmp-` name for `prune`.
    private func install(_ temporary: String, as final: String) throws {
        if DurableFileSystem.kind(of: final) == .missing {
            try DurableFileSystem.rename(temporary, to: final)
        } else if allowsAtomicExchange, try DurableFileSystem.exchange(temporary, final) {
            return  // `temporary` now holds the old checkpoint
        } else {
            let old = DurableFileSystem.join(directory, ".tmp-old-\(DurableFileSystem.lastComponent(of: final))-\(getpid())")
            try DurableFileSystem.removeTree(old)
            try DurableFileSystem.rename(final, to: old)
            try DurableFileSystem.rename(temporary, to: final)
        }
    }

    /// Atomically points `latest` at `stepName`: a new link under a temporary name, renamed over.
    private func pointLatest(at stepName: String) throws {
        let link = DurableFileSystem.join(directory, Self.latestName)
        let temporaryLink = DurableFileSystem.join(directory, ".tmp-latest-\(getpid())")
        try DurableFileSystem.removeTree(temporaryLink)
        try DurableFileSystem.makeSymlink(at: temporaryLink, pointingTo: stepName)
        do {
            try DurableFileSystem.rename(temporaryLink, to: link)
        } catch {
            unlink(temporaryLink)
            throw error
        }
        try DurableFileSystem.syncDirectory(directory)
    }

    /// Removes stale `.tmp-*` entries and all but the newest `keepLast` checkpoints with a step
    /// ≤ `step` (the one just written is the newest of those, so it always stays).
    private func prune(keeping step: Int) -> (removed: [String], warnings: [String]) {
        var doomed: [String] = []
        for name in DurableFileSystem.entries(of: directory) where name.hasPrefix(".tmp-") {
            doomed.append(name)
        }
        if let keepLast {
            let older = Self.stepDirectories(in: directory).filter { $0.step <= step }.sorted { $0.step > $1.step }
            doomed += older.dropFirst(keepLast).map(\.name)
        }
        var removed: [String] = []
        var warnings: [String] = []
        for name in doomed {
            let path = DurableFileSystem.join(directory, name)
            do {
                try DurableFileSystem.removeTree(path)
                removed.append(path)
            } catch {
                warnings.append("could not remove old checkpoint data: \(error)")
            }
        }
        if !removed.isEmpty { try? DurableFileSystem.syncDirectory(directory) }
        return (removed, warnings)
    }

    /// `step-N` directories (any number of digits) in `directory`, with their steps.
    static func stepDirectories(in directory: String) -> [(name: String, step: Int)] {
        DurableFileSystem.entries(of: directory).compactMap { name in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0,
                  DurableFileSystem.kind(of: DurableFileSystem.join(directory, name)) == .directory else { return nil }
            return (name, step)
        }
    }

    /// A name that stays inside its directory: non-empty, no `/`, no leading `.`.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.hasPrefix(".")
    }
}
