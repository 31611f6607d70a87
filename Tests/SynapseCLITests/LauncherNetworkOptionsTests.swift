import Foundation
import Testing
import SynapseTestSupport

/// `launch/synapse-mpirun`'s options for several machines, read from its `--dry-run` line
/// (no MPI job is started; `MPIRUN=/bin/true` stands in for mpirun). The multi-host tests
/// (`MultiHostTests`) run the same settings for real. `launch/slurm-train.sbatch` reads the same
/// variables; its `SYNAPSE_TCP_EAGER` is checked here too, with a stand-in `mpirun` on PATH.
@Suite("synapse-mpirun: network options for several machines")
struct LauncherNetworkOptionsTests {
    static let launcher = ProcessRunner.packageRoot.appendingPathComponent("launch/synapse-mpirun").path

    /// Runs the launcher with `arguments` and `environment` added; returns its status and output.
    static func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var environment = environment
        environment["MPIRUN"] = "/bin/true"
        if environment["SYNAPSE_NET"] == nil { environment["SYNAPSE_NET"] = "" }
        if environment["SYNAPSE_KEEPALIVE"] == nil { environment["SYNAPSE_KEEPALIVE"] = "" }
        if environment["SYNAPSE_TCP_PROGRESS"] == nil { environment["SYNAPSE_TCP_PROGRESS"] = "" }
        if environment["SYNAPSE_TCP_EAGER"] == nil { environment["SYNAPSE_TCP_EAGER"] = "" }
        return try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [launcher] + arguments, environment: environment, timeout: 30)
    }

    @Test("--net puts MPI and mpirun's own traffic on that network; --hostfile turns keepalives on")
    func netAndKeepalives() throws {
        let hostfile = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString)")
        try "node01 slots=2\nnode02 slots=2\n".write(to: hostfile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: hostfile) }

        let result = try Self.launch(["-n", "4", "--hostfile", hostfile.path, "--net", "10.0.0.0/24", "--dry-run", "/bin/true"])
        #expect(result.status == 0, "\(result.report)")
        for flag in [#"--mca btl self\,vader\,tcp"#, "--mca btl_tcp_if_include 10.0.0.0/24", "--mca oob_tcp_if_include 10.0.0.0/24",
                     "--mca oob_tcp_keepalive_time 5", "--mca oob_tcp_keepalive_intvl 2", "--mca oob_tcp_keepalive_probes 3",
                     "--mca btl_tcp_progress_thread 1", "--bind-to core"] {
            #expect(result.stdout.contains(flag), "no '\(flag)' in: \(result.stdout)")
        }

        // SYNAPSE_NET is the default for --net; --keepalive and --bind change the rest.
        let fromEnvironment = try Self.launch(["-n", "2", "--keepalive", "10:3:4", "--bind", "none", "--dry-run", "/bin/true"],
                                              environment: ["SYNAPSE_NET": "eth1"])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.report)")
        for flag in ["--mca btl_tcp_if_include eth1", "--mca oob_tcp_keepalive_time 10", "--mca oob_tcp_keepalive_intvl 3",
                     "--mca oob_tcp_keepalive_probes 4", "--bind-to none"] {
            #expect(fromEnvironment.stdout.contains(flag), "no '\(flag)' in: \(fromEnvironment.stdout)")
        }

        // One machine, nothing asked: Open MPI's own network choice and keepalives.
        let plain = try Self.launch(["-n", "2", "--dry-run", "/bin/true"])
        #expect(plain.status == 0 && !plain.stdout.contains("if_include") && !plain.stdout.contains("keepalive")
                && !plain.stdout.contains("progress_thread"), "\(plain.report)")
        // --tcp-progress off across machines (SYNAPSE_TCP_PROGRESS the same), on for one machine.
        let off = try Self.launch(["-n", "2", "--net", "eth1", "--tcp-progress", "off", "--dry-run", "/bin/true"])
        #expect(off.status == 0 && !off.stdout.contains("progress_thread"), "\(off.report)")
        let on = try Self.launch(["-n", "2", "--dry-run", "/bin/true"], environment: ["SYNAPSE_TCP_PROGRESS": "on"])
        #expect(on.status == 0 && on.stdout.contains("--mca btl_tcp_progress_thread 1"), "\(on.report)")
    }

    /// The two flags `--tcp-eager BYTES` adds, with BYTES.
    static func eagerFlags(_ bytes: Int) -> [String] {
        ["--mca btl_tcp_eager_limit \(bytes) ", "--mca btl_tcp_max_send_size \(bytes) "]
    }

    /// Whether a `--dry-run` line sets either of the flags of `--tcp-eager`.
    static func setsEager(_ line: String) -> Bool {
        line.contains("btl_tcp_eager_limit") || line.contains("btl_tcp_max_send_size")
    }

    @Test("--tcp-eager: 1 MiB eager limit and send size across machines by default, nothing on one machine")
    func tcpEager() throws {
        let hostfile = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString)")
        try "node01 slots=1\nnode02 slots=1\n".write(to: hostfile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: hostfile) }

        // --hostfile (jobs across machines): 1048576 for both.
        let across = try Self.launch(["-n", "2", "--hostfile", hostfile.path, "--dry-run", "/bin/true"])
        #expect(across.status == 0, "\(across.report)")
        for flag in Self.eagerFlags(1_048_576) {
            #expect(across.stdout.contains(flag), "no '\(flag)' in: \(across.stdout)")
        }
        // --net alone counts as across machines too.
        let net = try Self.launch(["-n", "2", "--net", "eth1", "--dry-run", "/bin/true"])
        #expect(net.status == 0 && Self.eagerFlags(1_048_576).allSatisfy(net.stdout.contains), "\(net.report)")

        // One machine: shared memory, nothing to set.
        let plain = try Self.launch(["-n", "2", "--dry-run", "/bin/true"])
        #expect(plain.status == 0 && !Self.setsEager(plain.stdout), "\(plain.report)")
        // off across machines: Open MPI's own limits.
        let off = try Self.launch(["-n", "2", "--hostfile", hostfile.path, "--tcp-eager", "off", "--dry-run", "/bin/true"])
        #expect(off.status == 0 && !Self.setsEager(off.stdout), "\(off.report)")

        // Suffixes: k is 1024, m is 1048576; a value given on one machine is used there too.
        let kilo = try Self.launch(["-n", "2", "--hostfile", hostfile.path, "--tcp-eager", "256k", "--dry-run", "/bin/true"])
        #expect(kilo.status == 0 && Self.eagerFlags(262_144).allSatisfy(kilo.stdout.contains), "\(kilo.report)")
        let mega = try Self.launch(["-n", "2", "--tcp-eager", "2M", "--dry-run", "/bin/true"])
        #expect(mega.status == 0 && Self.eagerFlags(2_097_152).allSatisfy(mega.stdout.contains), "\(mega.report)")

        // SYNAPSE_TCP_EAGER is the default for --tcp-eager, which overrides it.
        let fromEnvironment = try Self.launch(["-n", "2", "--dry-run", "/bin/true"], environment: ["SYNAPSE_TCP_EAGER": "512k"])
        #expect(fromEnvironment.status == 0 && Self.eagerFlags(524_288).allSatisfy(fromEnvironment.stdout.contains),
                "\(fromEnvironment.report)")
        let offFromEnvironment = try Self.launch(["-n", "2", "--hostfile", hostfile.path, "--dry-run", "/bin/true"],
                                                 environment: ["SYNAPSE_TCP_EAGER": "off"])
        #expect(offFromEnvironment.status == 0 && !Self.setsEager(offFromEnvironment.stdout), "\(offFromEnvironment.report)")
        let overridden = try Self.launch(["-n", "2", "--tcp-eager", "65536", "--dry-run", "/bin/true"],
                                         environment: ["SYNAPSE_TCP_EAGER": "off"])
        #expect(overridden.status == 0 && Self.eagerFlags(65_536).allSatisfy(overridden.stdout.contains), "\(overridden.report)")
        let badFromEnvironment = try Self.launch(["-n", "2", "--dry-run", "/bin/true"], environment: ["SYNAPSE_TCP_EAGER": "lots"])
        #expect(badFromEnvironment.status == 2
                && badFromEnvironment.stderr.contains("--tcp-eager (or SYNAPSE_TCP_EAGER) must be a size in bytes")
                && badFromEnvironment.stderr.contains("got 'lots'"), "\(badFromEnvironment.report)")
    }

    @Test("slurm-train.sbatch: SYNAPSE_TCP_EAGER, default 1048576, off, 256k, and a bad value refused with exit 2")
    func slurmTCPEager() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-eager-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A stand-in mpirun that prints its arguments and exits 0 (the job "completes").
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let mpirun = bin.appendingPathComponent("mpirun")
        try "#!/bin/sh\necho \"mpirun $*\"\n".write(to: mpirun, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: mpirun.path)
        try "".write(to: directory.appendingPathComponent("cfg.yaml"), atomically: true, encoding: .utf8)
        let script = ProcessRunner.packageRoot.appendingPathComponent("launch/slurm-train.sbatch").path

        func submit(_ eager: String?) throws -> ProcessResult {
            var environment = [
                "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "SLURM_SUBMIT_DIR": directory.path, "CONFIG": "cfg.yaml", "SYNAPSE": "/bin/true",
                "RUN_DIR": directory.appendingPathComponent("run").path, "THREADS": "1",
                "SYNAPSE_NET": "", "SYNAPSE_KEEPALIVE": "", "SYNAPSE_TCP_PROGRESS": "", "MPIRUN_FLAGS": "", "TRAIN_ARGS": "",
            ]
            environment["SYNAPSE_TCP_EAGER"] = eager ?? ""
            return try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [script], environment: environment, timeout: 30)
        }

        let unset = try submit(nil)
        #expect(unset.status == 0 && Self.eagerFlags(1_048_576).allSatisfy(unset.stdout.contains), "\(unset.report)")
        let off = try submit("off")
        #expect(off.status == 0 && off.stdout.contains("mpirun ") && !Self.setsEager(off.stdout), "\(off.report)")
        let kilo = try submit("256k")
        #expect(kilo.status == 0 && Self.eagerFlags(262_144).allSatisfy(kilo.stdout.contains), "\(kilo.report)")
        let bad = try submit("1g")
        #expect(bad.status == 2 && bad.stdout.contains("error: SYNAPSE_TCP_EAGER='1g': give a size in bytes")
                && !bad.stdout.contains("mpirun "), "\(bad.report)")
    }

    @Test("bad --net, --keepalive, --bind, --tcp-progress or --tcp-eager values are refused with exit 2 and say what works",
          arguments: [(["--net", "10.0.0.0/24 eth0"], "--net (or SYNAPSE_NET) must be a subnet like 10.0.0.0/24"),
                      (["--keepalive", "5:2"], "--keepalive must be TIME:INTERVAL:PROBES in seconds (e.g. 5:2:3) or off"),
                      (["--bind", "socket"], "--bind must be 'core' or 'none'"),
                      (["--tcp-progress", "yes"], "--tcp-progress (or SYNAPSE_TCP_PROGRESS) must be on or off"),
                      (["--tcp-eager", "1g"], "--tcp-eager (or SYNAPSE_TCP_EAGER) must be a size in bytes from 1024 to 1073741824, with an optional k or m suffix (e.g. 1048576, 256k or 1m), or off, got '1g'"),
                      (["--tcp-eager", "0"], "--tcp-eager (or SYNAPSE_TCP_EAGER) must be a size in bytes"),
                      (["--tcp-eager", "512"], "--tcp-eager (or SYNAPSE_TCP_EAGER) must be a size in bytes")])
    func badValuesAreRefused(_ arguments: [String], _ message: String) throws {
        let result = try Self.launch(["-n", "2"] + arguments + ["--dry-run", "/bin/true"])
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stderr.contains(message), "\(result.report)")
    }
}
