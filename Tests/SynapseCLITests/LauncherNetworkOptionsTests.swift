import Foundation
import Testing
import SynapseTestSupport

/// `launch/synapse-mpirun`'s options for several machines, read from its `--dry-run` line
/// (no MPI job is started; `MPIRUN=/bin/true` stands in for mpirun). The multi-host tests
/// (`MultiHostTests`) run the same settings for real.
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

    @Test("bad --net, --keepalive or --bind values are refused with exit 2 and say what works",
          arguments: [(["--net", "10.0.0.0/24 eth0"], "--net (or SYNAPSE_NET) must be a subnet like 10.0.0.0/24"),
                      (["--keepalive", "5:2"], "--keepalive must be TIME:INTERVAL:PROBES in seconds (e.g. 5:2:3) or off"),
                      (["--bind", "socket"], "--bind must be 'core' or 'none'"),
                      (["--tcp-progress", "yes"], "--tcp-progress (or SYNAPSE_TCP_PROGRESS) must be on or off")])
    func badValuesAreRefused(_ arguments: [String], _ message: String) throws {
        let result = try Self.launch(["-n", "2"] + arguments + ["--dry-run", "/bin/true"])
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stderr.contains(message), "\(result.report)")
    }
}
