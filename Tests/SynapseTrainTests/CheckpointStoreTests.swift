import Foundation
import Testing
@testable import SynapseTrain

@Suite struct CheckpointStoreTests {
    /// Files of a small checkpoint whose content depends on `step`.
    private func files(step: Int) -> [String: Data] {
        let values = (0..<10).map { Float($0 + step) }
        return [
            "model.safetensors": SafeTensors.encode([SafeTensorsEntry(name: "w", shape: [2, 5], values: values)]),
            "optimizer.safetensors": SafeTensors.encode([SafeTensorsEntry(name: "exp_avg.w", shape: [2, 5], values: values.map { -$0 })]),
        ]
    }

    @discardableResult
    private func save(_ store: CheckpointStore, _ step: Int) throws -> CheckpointStore.SaveResult {
        try store.save(step: step, files: files(step: step), state: CheckpointStateTests.sampleState(step: step))
    }

    private func names(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    @Test func saveThenLoadRoundTripsFromEveryKindOfPath() throws {
        let run = try ScratchDirectory("ckpt-roundtrip")
        defer { run.remove() }
        let store = CheckpointStore(runDirectory: run.path, keepLast: 3)
        let result = try save(store, 100)
        let checkpoint = run.path + "/checkpoints/step-00000100"
        #expect(result.path == checkpoint)
        #expect(names(in: checkpoint) == ["model.safetensors", "optimizer.safetensors", "state.json"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: run.path + "/checkpoints/latest") == "step-00000100")

        for path in [checkpoint, checkpoint + "/", run.path, run.path + "/checkpoints", run.path + "/checkpoints/latest"] {
            let loaded = try CheckpointStore.load(path: path)
            #expect(loaded.path == checkpoint, "resolving \(path)")
            #expect(loaded.files == files(step: 100))
            var expectedState = CheckpointStateTests.sampleState(step: 100)
            expectedState.files = files(step: 100).mapValues { .init(bytes: $0.count, crc32: CRC32.checksum($0)) }
            #expect(loaded.state == expectedState)
        }
        let model = try CheckpointStore.load(path: run.path).safeTensors("model.safetensors")
        #expect(try model.floats(named: "w") == (0..<10).map { Float($0 + 100) })
        #expect(try store.latestValid()?.path == checkpoint)
    }

    @Test func keepsTheLastKAndMovesLatest() throws {
        let run = try ScratchDirectory("ckpt-prune")
        defer { run.remove() }
        let store = CheckpointStore(runDirectory: run.path, keepLast: 2)
        for step in [10, 20, 30, 40, 50] { try save(store, step) }
        let dir = run.path + "/checkpoints"
        #expect(names(in: dir) == ["latest", "step-00000040", "step-00000050"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest") == "step-00000050")
        #expect(try CheckpointStore.latestValid(in: run.path)?.state.step == 50)

        // Resuming from an earlier step: newer checkpoints of the abandoned run are not pruned,
        // and `latest` follows the newest write.
        let one = CheckpointStore(runDirectory: run.path, keepLast: 1)
        try save(one, 45)
        #expect(names(in: dir) == ["latest", "step-00000045", "step-00000050"])
        #expect(try CheckpointStore.latestValid(in: run.path)?.state.step == 45)

        let all = CheckpointStore(runDirectory: run.path, keepLast: nil)
        for step in [60, 70] { try save(all, step) }
        #expect(names(in: dir).count == 5)
    }

    @Test func corruptByteIsDetectedByChecksum() throws {
        let run = try ScratchDirectory("ckpt-corrupt")
        defer { run.remove() }
        let store = CheckpointStore(runDirectory: run.path, keepLast: 3)
        try save(store, 90)
        try save(store, 100)
        let model = run.path + "/checkpoints/step-00000100/model.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes[bytes.count - 3] ^= 0x01  // one bit in the last float
        try bytes.write(to: URL(fileURLWithPath: model))

        for path in [run.path, run.path + "/checkpoints/step-00000100"] {
            let error = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: path) }
            #expect(error?.kind == .corrupt)
            let message = error?.description ?? ""
            #expect(message.contains("checkpoint \(run.path)/checkpoints/step-00000100 is corrupt: model.safetensors checksum mismatch (expected crc32 "))
            #expect(message.contains("it was not loaded"))
            #expect(message.contains("Valid checkpoints you can pass to --resume, newest first: \(run.path)/checkpoints/step-00000090."))
        }
        // latestValid does not silently fall back to step 90.
        #expect(throws: CheckpointError.self) { try CheckpointStore.latestValid(in: run.path) }
        let summaries = CheckpointStore.checkpoints(in: run.path)
        #expect(summaries.map(\.step) == [90, 100])
        #expect(summaries.map(\.isValid) == [true, false])
    }

    @Test func truncatedOrMissingFileIsCorrupt() throws {
        let run = try ScratchDirectory("ckpt-truncated")
        defer { run.remove() }
        try save(CheckpointStore(runDirectory: run.path), 5)
        let checkpoint = run.path + "/checkpoints/step-00000005"
        let optimizer = checkpoint + "/optimizer.safetensors"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: optimizer)[.size] as? Int)
        #expect(truncate(optimizer, off_t(size - 4)) == 0)
        let e1 = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: checkpoint) }
        #expect(e1?.description.contains("optimizer.safetensors is \(size - 4) bytes but state.json records \(size)") == true)
        #expect(e1?.description.contains("There is no other valid checkpoint") == true)

        try FileManager.default.removeItem(atPath: optimizer)
        let e2 = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: checkpoint) }
        #expect(e2?.kind == .corrupt)
        #expect(e2?.description.contains("optimizer.safetensors is missing") == true)
    }

    @Test func directoryWithoutStateJSONIsTorn() throws {
        let run = try ScratchDirectory("ckpt-torn")
        defer { run.remove() }
        let store = CheckpointStore(runDirectory: run.path)
        try save(store, 1)
        try save(store, 2)
        try FileManager.default.removeItem(atPath: run.path + "/checkpoints/step-00000002/state.json")
        let error = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: run.path) }
        #expect(error?.kind == .incomplete)
        #expect(error?.description.contains("step-00000002 is incomplete: it has no state.json") == true)
        #expect(error?.description.contains("step-00000001") == true, "offers the older valid one")
    }

    @Test func invalidOrNewerStateJSONIsRejected() throws {
        let run = try ScratchDirectory("ckpt-state")
        defer { run.remove() }
        try save(CheckpointStore(runDirectory: run.path), 3)
        let statePath = run.path + "/checkpoints/step-00000003/state.json"
        let original = try String(contentsOfFile: statePath, encoding: .utf8)

        try original.replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : 99")
            .write(toFile: statePath, atomically: false, encoding: .utf8)
        let e1 = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: run.path) }
        #expect(e1?.kind == .unsupportedFormat)
        #expect(e1?.description.contains("format version 99") == true)

        try original.replacingOccurrences(of: "\"world_size\"", with: "\"world\"")
            .write(toFile: statePath, atomically: false, encoding: .utf8)
        let e2 = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: run.path) }
        #expect(e2?.kind == .invalidState)
        #expect(e2?.description.contains("missing key 'world_size'") == true)
    }

    @Test func brokenOrMissingLatestIsReportedNotSkipped() throws {
        let run = try ScratchDirectory("ckpt-latest")
        defer { run.remove() }
        #expect(try CheckpointStore.latestValid(in: run.path) == nil, "fresh run: nothing to resume")
        let store = CheckpointStore(runDirectory: run.path)
        try save(store, 1)
        try save(store, 2)
        try FileManager.default.removeItem(atPath: run.path + "/checkpoints/step-00000002")
        let e1 = #expect(throws: CheckpointError.self) { try CheckpointStore.latestValid(in: run.path) }
        #expect(e1?.kind == .brokenLatest)
        #expect(e1?.description.contains("points to step-00000002, which does not exist") == true)
        #expect(e1?.description.contains("newest first: \(run.path)/checkpoints/step-00000001.") == true)

        try FileManager.default.removeItem(atPath: run.path + "/checkpoints/latest")
        let e2 = #expect(throws: CheckpointError.self) { try CheckpointStore.latestValid(in: run.path) }
        #expect(e2?.kind == .brokenLatest)
        #expect(e2?.description.contains("no `latest` link") == true)

        let e3 = #expect(throws: CheckpointError.self) { try CheckpointStore.load(path: run.path + "/nope") }
        #expect(e3?.kind == .notFound)
    }

    @Test func staleTemporaryDirectoriesAreRemoved() throws {
        let run = try ScratchDirectory("ckpt-stale")
        defer { run.remove() }
        let dir = run.path + "/checkpoints"
        // What a crashed save leaves: a half-written temporary directory, no state.json.
        try FileManager.default.createDirectory(atPath: dir + "/.tmp-step-00000007-99999", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/.tmp-step-00000007-99999/model.safetensors"))
        #expect(try CheckpointStore.latestValid(in: run.path) == nil, "a torn temporary directory is not a checkpoint")
        let result = try save(CheckpointStore(runDirectory: run.path), 8)
        #expect(names(in: dir) == ["latest", "step-00000008"])
        #expect(result.removed == [dir + "/.tmp-step-00000007-99999"])
    }

    @Test(arguments: [true, false])
    func resavingTheSameStepReplacesIt(atomicExchange: Bool) throws {
        let run = try ScratchDirectory("ckpt-resave")
        defer { run.remove() }
        var store = CheckpointStore(runDirectory: run.path)
        store.allowsAtomicExchange = atomicExchange
        try save(store, 7)
        let newer = files(step: 1000)
        try store.save(step: 7, files: newer, state: CheckpointStateTests.sampleState(step: 7))
        let loaded = try CheckpointStore.load(path: run.path)
        #expect(loaded.path == run.path + "/checkpoints/step-00000007")
        #expect(loaded.files == newer)
        #expect(names(in: run.path + "/checkpoints") == ["latest", "step-00000007"], "old copy and temporaries removed")
    }

    @Test func failedSaveLeavesNothingVisible() throws {
        let scratch = try ScratchDirectory("ckpt-fail")
        defer { scratch.remove() }
        // Tests run as root, so permissions cannot force a failure; a path below a regular file can.
        let blocker = scratch.file("file.txt")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: blocker))
        let store = CheckpointStore(runDirectory: blocker)
        let error = #expect(throws: CheckpointError.self) { try save(store, 1) }
        #expect(error?.kind == .saveFailed)
        #expect(error?.description.contains("saving checkpoint \(blocker)/checkpoints/step-00000001 failed: could not create directories under \(blocker): Not a directory") == true)
        #expect(error?.description.contains("nothing was changed") == true)
        #expect(names(in: scratch.path) == ["file.txt"])

        // A failure after the directory is complete (here: `latest` is a real directory that a
        // link cannot replace): the new checkpoint is whole, the old `latest` stays.
        let run = try ScratchDirectory("ckpt-fail-latest")
        defer { run.remove() }
        try FileManager.default.createDirectory(atPath: run.path + "/checkpoints/latest/blocker", withIntermediateDirectories: true)
        let e2 = #expect(throws: CheckpointError.self) { try save(CheckpointStore(runDirectory: run.path), 2) }
        #expect(e2?.description.contains("`latest` still points to the previous one") == true)
        #expect(try CheckpointStore.load(path: run.path + "/checkpoints/step-00000002").state.step == 2)
        #expect(!names(in: run.path + "/checkpoints").contains { $0.hasPrefix(".tmp-latest") })
    }

    @Test func atomicFileReplacesWholeFiles() throws {
        let dir = try ScratchDirectory("atomic")
        defer { dir.remove() }
        let path = dir.file("config.yaml")
        try AtomicFile.write(Data("first".utf8), to: path)
        try AtomicFile.write(Data("second, longer".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second, longer")
        #expect(names(in: dir.path) == ["config.yaml"], "no temporary file left")
        let error = #expect(throws: FileOperationError.self) { try AtomicFile.write(Data(), to: dir.path + "/missing/x") }
        #expect(error?.description.contains("could not create file \(dir.path)/missing/.x.tmp-") == true)
        #expect(error?.reason == "No such file or directory")
    }
}
