import Foundation
import SynapseCore

/// Restarts the process with `OPENBLAS_CORETYPE` set when OpenBLAS loaded kernels far below
/// what the CPU can run (see `BLASKernelSelection`): the variable is read only when the
/// library loads, so the only way to change the choice is a fresh image of the same process.
///
/// Runs first thing in `main`, before MPI starts: `execv` keeps the process id, open files
/// and environment, so mpirun, srun and Slurm see the same rank. A user's own
/// `OPENBLAS_CORETYPE` is always respected (and is the way to opt out: set it to the kernels
/// you want, "Prescott" included).
enum KernelSelectionRestart {
    /// Set in the restarted process to the kernel set OpenBLAS had picked by itself, so the
    /// run can say what was changed (and so a failed switch never loops).
    static let markerVariable = "SYNAPSE_OPENBLAS_DETECTED"

    /// Re-executes this binary with better kernels when that is needed and possible; returns
    /// when nothing is to be done or the exec failed.
    static func restartIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[markerVariable] == nil else { return }
        let detected = BLASKernelSelection.coreName
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let better = BLASKernelSelection.betterCoreType(
                  detected: detected, cpuFlags: BLASKernelSelection.cpuFlags(cpuinfo: cpuinfo))
        else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv(markerVariable, detected, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if exec failed: carry on with the detected kernels (and say nothing).
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(markerVariable)
    }

    /// One line for the run's console when this process was restarted, else nil.
    static var note: String? {
        guard let detected = ProcessInfo.processInfo.environment[markerVariable] else { return nil }
        return "OpenBLAS chose its \(detected) kernels, which this CPU outruns by far; using "
            + "\(BLASKernelSelection.coreName) (set OPENBLAS_CORETYPE to choose yourself)"
    }
}
