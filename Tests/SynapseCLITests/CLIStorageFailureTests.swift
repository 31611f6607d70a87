import Foundation
import Testing
import SynapseData
import SynapseTestSupport

/// Run-time storage failures exit with status 1 (they are not bad input: the same command
/// works once there is space), and unreadable data is named as a permission problem.
///
/// The storage tests mount a small tmpfs (they need root and the right to mount; they are
/// skipped elsewhere). The permission test runs the binary as `nobody` through `setpriv`,
/// because root reads files whatever their mode.
@Suite(.serialized, .enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built"))
struct CLIStorageFailureTests {
    /// Mounts a tmpfs with `options` at a fresh directory, runs `body`, unmounts.
    private func withTmpfs(_ options: String, _ body: (String) throws -> Void) throws {
        let dir = try TestDirectory("tmpfs")
        defer { dir.remove() }
        let mountPoint = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try ProcessRunner.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint], timeout: 30)
        try #require(mounted.status == 0, "mount failed: \(mounted.report)")
        defer { _ = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint], timeout: 30) }
        try body(mountPoint)
    }

    @Test(.enabled(if: CLIStorageFailureTests.canMount, "needs root and permission to mount a tmpfs"))
    func fullDiskWhileSavingACheckpointExits1AndLeavesNoCheckpoint() throws {
        let dir = try TestDirectory("disk-full")
        defer { dir.remove() }
        let scene = Scene(dir: dir)
        try scene.writeDataSet()
        let config = try scene.config(scene.validConfig.replacingOccurrences(of: "hidden: [8]", with: "hidden: [64]"))
        try withTmpfs("size=128k") { mountPoint in
            let run = mountPoint + "/run"
            let result = try SynapseCLI.run(["train", config, "--run-dir", run])
            #expect(result.status == 1, "a full disk is a run-time failure, exit 1\n\(result.report)")
            #expect(result.stderr.contains("No space left on device"), "\(result.report)")
            #expect(result.stderr.contains("nothing was changed"), "\(result.report)")
            let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
            #expect(checkpoints.isEmpty, "half-written checkpoint left: \(checkpoints)")
        }
    }

    @Test(.enabled(if: CLIStorageFailureTests.canMount, "needs root and permission to mount a tmpfs"))
    func readOnlyFileSystemExits1() throws {
        let dir = try TestDirectory("read-only")
        defer { dir.remove() }
        let scene = Scene(dir: dir)
        try scene.writeDataSet()
        let config = try scene.config(scene.validConfig)
        try withTmpfs("ro,size=64k") { mountPoint in
            let result = try SynapseCLI.run(["train", config, "--run-dir", mountPoint + "/run"])
            #expect(result.status == 1, "a read-only file system is a run-time failure, exit 1\n\(result.report)")
            #expect(result.stderr.contains("Read-only file system"), "\(result.report)")
            #expect(!FileManager.default.fileExists(atPath: mountPoint + "/run"))
        }
    }

    /// A data directory this user may not enter: "permission denied" and the path, not
    /// "cannot find … install dataset-fashion-mnist".
    @Test(.enabled(if: CLIStorageFailureTests.canSwitchToNobody, "needs root and setpriv to run as nobody"))
    func unreadableDataDirectorySaysPermissionDenied() throws {
        let dir = try TestDirectory("permission")
        defer { dir.remove() }
        let scene = Scene(dir: dir)
        try scene.writeDataSet()
        let config = try scene.config(scene.validConfig)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: scene.data)
        let binary = try #require(SynapseCLI.binary)
        let result = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                           ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary.path,
                                            "train", config, "--run-dir", scene.run], timeout: 60)
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stderr.contains("permission denied"), "\(result.report)")
        #expect(result.stderr.contains(scene.data + "/train-images-idx3-ubyte"), "\(result.report)")
        #expect(!result.stderr.contains("cannot find"), "\(result.report)")
        #expect(!FileManager.default.fileExists(atPath: scene.run))
    }

    static let canMount: Bool = {
        guard geteuid() == 0, let dir = try? TestDirectory("mount-probe") else { return false }
        defer { dir.remove() }
        guard let r = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4k", "tmpfs", dir.path], timeout: 30),
              r.status == 0 else { return false }
        _ = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/umount"), [dir.path], timeout: 30)
        return true
    }()

    /// Root, setpriv, and a binary that `nobody` may run (every directory above it searchable).
    static let canSwitchToNobody: Bool = {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              let binary = SynapseCLI.binary,
              let r = try? ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                             ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary.path, "--help"], timeout: 30)
        else { return false }
        return r.status == 0
    }()
}
