import Foundation
import Testing
import SynapseTestSupport

/// Several "hosts" on this machine for one test: network namespaces made by `.ci/netns-hosts`
/// (one per host, joined by a bridge, each with its own host name), so that `mpirun` really
/// starts a daemon per host and the ranks talk TCP over virtual Ethernet.
///
/// Each cluster has a name of its own (`syn-` and 8 random hex digits), so tests never share
/// namespaces; it is taken down — every process inside killed, the namespaces deleted — in
/// `deinit`, however the test ends.
final class MultiHostCluster {
    /// `.ci/netns-hosts` in this checkout.
    static let script = ProcessRunner.packageRoot.appendingPathComponent(".ci/netns-hosts")

    /// Why namespaces cannot be made here (not root, no `ip`, a kernel without veth or
    /// bridges), or nil when they can: `.ci/netns-hosts check` says.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "network-namespace hosts need root (.ci/netns-hosts check)" }
        guard let result = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [script.path, "check"], timeout: 30)
        else { return "could not run .ci/netns-hosts check" }
        if result.status == 0 { return nil }
        let reason = (result.stderr + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
        return reason.isEmpty ? ".ci/netns-hosts check failed (status \(result.status))" : reason
    }()

    /// The cluster's name (its namespaces are NAME-h1 … NAME-hN and NAME-sw).
    let name: String
    /// How many hosts.
    let hosts: Int
    /// The hostfile `up` wrote: one line `10.77.0.K slots=1` per host.
    var hostfile: String { "/run/synapse-netns/\(name)/hostfile" }

    /// Brings up `hosts` hosts (one rank slot each); throws with the script's message if it fails.
    init(hosts: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        name = "syn-" + UUID().uuidString.prefix(8).lowercased()
        self.hosts = hosts
        let up = try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [Self.script.path, "up", name, "\(hosts)"], timeout: 60)
        // A throw from here still runs deinit (every stored property is set), which takes down
        // whatever part of the cluster was made.
        try #require(up.status == 0, "netns-hosts up \(name) \(hosts) failed:\n\(up.report)", sourceLocation: sourceLocation)
    }

    deinit { takeDown() }

    private func takeDown() {
        _ = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [Self.script.path, "down", name], timeout: 60)
    }

    /// Starts `launch/synapse-mpirun -n RANKS --hostfile HOSTFILE --bind none synapse ARGUMENTS`
    /// on host 1, as a user on a cluster's first machine would (the launcher reads SYNAPSE_NET
    /// and MPIRUN_FLAGS that `netns-hosts run` sets: TCP on the cluster's subnet, keepalives,
    /// the launch agent instead of ssh). `--bind none`: the hosts share this machine's cores,
    /// and each would bind its first rank to core 0. The job's pid is the launcher's.
    /// mpirun's `--display-map` is on, so the output shows which host each rank ran on
    /// (`ranksByHost(in:)`).
    func job(ranks: Int, _ arguments: [String]) throws -> DistributedJob {
        let synapse = try #require(DistributedJob.synapse)
        let launcher = ProcessRunner.packageRoot.appendingPathComponent("launch/synapse-mpirun").path
        return try DistributedJob(argv: ["/usr/bin/env", "MPIRUN_FLAGS=--display-map", "/bin/bash", Self.script.path, "run", name, "--",
                                         "/bin/bash", launcher, "-n", "\(ranks)", "--hostfile", hostfile, "--bind", "none",
                                         synapse] + arguments)
    }

    /// The ranks each host ran, from mpirun's job map in a job's output: host K is `10.77.0.K`
    /// (host 1, where mpirun runs, appears under its host name NAME-h1).
    func ranksByHost(in output: String) -> [Int: Set<Int>] {
        var result: [Int: Set<Int>] = [:]
        var host: Int? = nil
        for line in output.split(separator: "\n") {
            if let range = line.range(of: "Data for node: ") {
                let node = line[range.upperBound...].prefix { !$0.isWhitespace }
                host = node == "\(name)-h1" ? 1 : (node.hasPrefix("10.77.0.") ? Int(node.dropFirst(8)) : nil)
            } else if let range = line.range(of: "Process rank: "), let host {
                if let rank = Int(line[range.upperBound...].prefix { $0.isNumber }) { result[host, default: []].insert(rank) }
            }
        }
        return result
    }

    /// The pids of every process on host `k` (the kernel's list for its namespace).
    func processes(onHost k: Int) -> [pid_t] {
        guard let result = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [Self.script.path, "pids", name, "\(k)"], timeout: 30)
        else { return [] }
        return result.stdout.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// The ranks on host `k`: its processes whose environment has OMPI_COMM_WORLD_RANK.
    func rankPIDs(onHost k: Int) -> [pid_t] {
        processes(onHost: k).filter { pid in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environ.split(separator: 0).contains { $0.starts(with: Array("OMPI_COMM_WORLD_RANK=".utf8)) }
        }
    }

    /// Open MPI's daemon on host `k` (the `orted` that mpirun started through the launch agent).
    func daemonPIDs(onHost k: Int) -> [pid_t] {
        processes(onHost: k).filter {
            (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == "orted"
        }
    }

    /// Pulls (`up: false`) or plugs back host `k`'s cable at the switch.
    func setLink(host k: Int, up: Bool) throws {
        let result = try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"),
                                           [Self.script.path, "link", name, "\(k)", up ? "up" : "down"], timeout: 30)
        try #require(result.status == 0, "netns-hosts link \(name) \(k) failed:\n\(result.report)")
    }
}
