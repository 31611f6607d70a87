import Foundation

/// A checkpoint whose files were all read and checked against `state.json`.
public struct LoadedCheckpoint: Sendable {
    /// The checkpoint directory (`…/checkpoints/step-00001200`, never the `latest` link).
    public let path: String
    /// The decoded `state.json`.
    public let state: CheckpointState
    /// Every file listed in `state.json`, by name, already verified.
    public let files: [String: Data]

    /// The file `name` parsed as safetensors (e.g. `model.safetensors`).
    ///
    /// Every load of weights or optimizer state goes through here (resume, `model.init_from`,
    /// eval, predict, generate, distillation teachers), so this is where non-finite values are
    /// refused (`SafeTensorsFile.requireFinite`). Only `synapse inspect`, which shows them,
    /// passes `allowNonFinite`.
    public func safeTensors(_ name: String, allowNonFinite: Bool = false) throws -> SafeTensorsFile {
        guard let data = files[name] else {
            throw CheckpointError(.notFound, "checkpoint \(path) has no \(name) (it has: \(files.keys.sorted().joined(separator: ", ")))")
        }
        let file = try SafeTensorsFile(data: data, path: DurableFileSystem.join(path, name))
        if !allowNonFinite { try file.requireFinite() }
        return file
    }
}

/// One checkpoint directory found in a `checkpoints/` directory, and whether it verifies.
public struct CheckpointSummary: Sendable, Equatable {
    /// The checkpoint directory.
    public let path: String
    /// The step from the directory name.
    public let step: Int
    /// Why it cannot be loaded, or nil when it is complete and every checksum matches.
    public let problem: String?
    /// Whether it can be loaded.
    public var isValid: Bool { problem == nil }
}

extension CheckpointStore {
    /// Loads and verifies a checkpoint.
    ///
    /// `path` may be a checkpoint directory (`…/checkpoints/step-00000100`), the `latest` link,
    /// a `checkpoints/` directory, or a run directory (the last two mean "its `latest`").
    /// `state.json` must exist (otherwise the save was torn), decode, and have a supported
    /// format version; every file it lists must exist with the recorded size and CRC-32.
    ///
    /// - Throws: `CheckpointError` saying what is wrong and listing the valid checkpoints in
    ///   the same directory that could be passed to `--resume` instead. Nothing is loaded
    ///   from a checkpoint that fails any check.
    public static func load(path: String) throws -> LoadedCheckpoint {
        let checkpoint = try resolve(path)
        do {
            return try verify(checkpoint)
        } catch let error as CheckpointError {
            throw CheckpointError(error.kind, error.message + alternatives(to: checkpoint))
        }
    }

    /// The checkpoint `latest` points to in `path` (a run directory or its `checkpoints/`),
    /// verified; nil when no checkpoint was ever completed there (a fresh run).
    ///
    /// Design choice: if `latest` is broken or its checkpoint is torn or corrupt, this THROWS
    /// rather than silently falling back to an older one: resuming from an older step than
    /// expected repeats training and can hide a disk problem. The error lists the valid older
    /// checkpoints so the user can pass one with `--resume PATH`.
    public static func latestValid(in path: String) throws -> LoadedCheckpoint? {
        let nested = DurableFileSystem.join(path, directoryName)
        let directory = DurableFileSystem.isDirectory(nested) ? nested : path
        guard DurableFileSystem.isDirectory(directory) else { return nil }
        let latest = DurableFileSystem.join(directory, latestName)
        if DurableFileSystem.kind(of: latest) == .missing && stepDirectories(in: directory).isEmpty { return nil }
        return try load(path: directory)
    }

    /// `latestValid(in: runDirectory)` for this store's run.
    public func latestValid() throws -> LoadedCheckpoint? {
        try Self.latestValid(in: runDirectory)
    }

    /// Every `step-*` checkpoint in `path` (a run directory or its `checkpoints/`), oldest
    /// first, each verified (this reads every file: use it for reports, not in the hot path).
    public static func checkpoints(in path: String) -> [CheckpointSummary] {
        let nested = DurableFileSystem.join(path, directoryName)
        let directory = DurableFileSystem.isDirectory(nested) ? nested : path
        return stepDirectories(in: directory).sorted { $0.step < $1.step }.map { entry in
            let checkpoint = DurableFileSystem.join(directory, entry.name)
            var problem: String?
            do { _ = try verify(checkpoint) } catch { problem = "\(error)" }
            return CheckpointSummary(path: checkpoint, step: entry.step, problem: problem)
        }
    }

    // MARK: - Resolving and verifying

    /// The checkpoint directory that `path` designates (following `latest`).
    static func resolve(_ given: String) throws -> String {
        let path = DurableFileSystem.trimmingTrailingSlashes(given)
        let usage = "pass a checkpoint directory (…/checkpoints/step-00000100), a checkpoints/ directory or a run directory"
        if path.allSatisfy(\.isWhitespace) {
            throw CheckpointError(.notFound, "the checkpoint path is empty (it would mean the current directory); \(usage)")
        }
        switch DurableFileSystem.kind(of: path) {
        case .missing:
            throw CheckpointError(.notFound, "no checkpoint at \(path): it does not exist; \(usage)")
        case .symlink:
            let parent = DurableFileSystem.parentDirectory(of: path)
            let target = DurableFileSystem.linkTarget(path) ?? "?"
            let resolved = target.hasPrefix("/") ? target : DurableFileSystem.join(parent, target)
            guard DurableFileSystem.isDirectory(resolved) else {
                throw CheckpointError(.brokenLatest, "\(path) points to \(target), which does not exist; the checkpoint it named was deleted or never completed." + alternatives(to: resolved))
            }
            return try resolve(resolved)
        case .directory:
            break
        default:
            throw CheckpointError(.notFound, "\(path) is a file, not a checkpoint; \(usage)")
        }
        let name = DurableFileSystem.lastComponent(of: path)
        if DurableFileSystem.kind(of: DurableFileSystem.join(path, stateFileName)) != .missing
            || name.hasPrefix("step-") || name.hasPrefix(".tmp-step-") {
            return path
        }
        let nested = DurableFileSystem.join(path, directoryName)
        let directory = DurableFileSystem.isDirectory(nested) ? nested : path
        let latest = DurableFileSystem.join(directory, latestName)
        if DurableFileSystem.kind(of: latest) != .missing { return try resolve(latest) }
        if stepDirectories(in: directory).isEmpty {
            throw CheckpointError(.notFound, "no checkpoint in \(directory): it has no step-* directories and no `latest` link; \(usage)")
        }
        throw CheckpointError(.brokenLatest, "\(directory) has checkpoints but no `latest` link, so which one to resume is unknown." + alternatives(to: latest))
    }

    /// Reads `state.json` and every file it lists, checking sizes and checksums.
    static func verify(_ checkpoint: String) throws -> LoadedCheckpoint {
        let statePath = DurableFileSystem.join(checkpoint, stateFileName)
        guard DurableFileSystem.kind(of: statePath) == .file else {
            throw CheckpointError(.incomplete, "checkpoint \(checkpoint) is incomplete: it has no \(stateFileName), which is written last, so its save was interrupted (crash, kill or full disk); it was not loaded.")
        }
        let state: CheckpointState
        do {
            state = try CheckpointState.decode(json: try Data(contentsOf: URL(fileURLWithPath: statePath)))
        } catch {
            throw CheckpointError(.invalidState, "checkpoint \(checkpoint) has an unreadable \(stateFileName) (\(describe(error))); it was not loaded.")
        }
        guard (1...CheckpointState.currentFormatVersion).contains(state.formatVersion) else {
            throw CheckpointError(.unsupportedFormat, "checkpoint \(checkpoint) has format version \(state.formatVersion); this Synapse reads versions 1…\(CheckpointState.currentFormatVersion). Load it with the Synapse version that wrote it (\(state.synapseVersion)) or newer.")
        }
        var files: [String: Data] = [:]
        for (name, record) in state.files.sorted(by: { $0.key < $1.key }) {
            func corrupt(_ what: String) -> CheckpointError {
                CheckpointError(.corrupt, "checkpoint \(checkpoint) is corrupt: \(what); it was not loaded.")
            }
            guard isPlainFileName(name) else { throw corrupt("\(stateFileName) lists an invalid file name '\(name)'") }
            let filePath = DurableFileSystem.join(checkpoint, name)
            guard DurableFileSystem.kind(of: filePath) == .file,
                  let data = try? Data(contentsOf: URL(fileURLWithPath: filePath)) else {
                throw corrupt("\(name) is missing or unreadable")
            }
            guard data.count == record.bytes else {
                throw corrupt("\(name) is \(data.count) bytes but \(stateFileName) records \(record.bytes) (truncated or replaced)")
            }
            let crc = CRC32.checksum(data)
            guard crc == record.crc32 else {
                throw corrupt("\(name) checksum mismatch (expected crc32 \(HexUInt64.text(UInt64(record.crc32), digits: 8)), got \(HexUInt64.text(UInt64(crc), digits: 8)))")
            }
            files[name] = data
        }
        return LoadedCheckpoint(path: checkpoint, state: state, files: files)
    }

    /// " Valid checkpoints you can pass to --resume, newest first: …" for the siblings of
    /// `checkpoint` that verify, or a sentence saying there are none.
    static func alternatives(to checkpoint: String) -> String {
        let directory = DurableFileSystem.parentDirectory(of: checkpoint)
        let name = DurableFileSystem.lastComponent(of: checkpoint)
        let valid = stepDirectories(in: directory)
            .filter { $0.name != name }
            .sorted { $0.step > $1.step }
            .map { DurableFileSystem.join(directory, $0.name) }
            .filter { (try? verify($0)) != nil }
        if valid.isEmpty { return " There is no other valid checkpoint in \(directory)." }
        return " Valid checkpoints you can pass to --resume, newest first: " + valid.joined(separator: ", ") + "."
    }

    /// A one-line reason for a `state.json` decoding failure (key path and problem).
    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func where_(_ path: [CodingKey]) -> String {
            path.isEmpty ? "" : " at '" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(where_(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + where_(context.codingPath)
        @unknown default: return "\(error)"
        }
    }
}
