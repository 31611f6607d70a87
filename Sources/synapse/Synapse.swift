import ArgumentParser
import Foundation
import SynapseTrain

/// The `synapse` command: one binary that runs alone (one rank) or under `mpirun -np N`.
@main
struct Synapse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synapse",
        abstract: "Train neural networks data-parallel under MPI on an OpenBLAS kernel core.",
        discussion: """
        Run alone for one rank, or as `mpirun -np N synapse train ...` (see launch/) for N ranks.
        Exit status: 0 done; 1 failure; 2 bad input (config, data, arguments, checkpoint);
        75 stopped by SIGTERM/SIGUSR1/SIGINT/SIGHUP with a checkpoint saved (resume with
        --resume auto); 130 a second Ctrl-C (SIGINT) quit without one.
        """,
        subcommands: [TrainCommand.self, EvalCommand.self, BenchCommand.self, PlotCommand.self, InspectCommand.self, VerifyCommand.self, PredictCommand.self, GenerateCommand.self, ExportCommand.self])

    /// Parses arguments ourselves so every usage error exits with status 2 (ArgumentParser's
    /// own default is 64), and so MPI is finalized on every path out.
    static func main() {
        KernelSelectionRestart.restartIfNeeded()
        let status: Int32
        var agreed = true
        do {
            var command = try parseAsRoot(try NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst())))
            try command.run()
            status = ExitStatus.success.rawValue
        } catch let error as ExitCode {
            status = error.rawValue
        } catch where !ErrorReport.isKnown(error) && exitCode(for: error) == .success {
            // --help, `help <subcommand>`: ArgumentParser wraps these in its own (internal)
            // error type, not CleanExit, so ask it for the exit code instead of matching types.
            print(fullMessage(for: error))
            status = ExitStatus.success.rawValue
        } catch where !ErrorReport.isKnown(error) && exitCode(for: error) == .validationFailure {
            // ArgumentParser's own usage errors: unknown flag, missing argument ...
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            status = ExitStatus.userError.rawValue
        } catch {
            status = ErrorReport.report(error)
            agreed = ErrorReport.isAgreedByAllRanks(error)
        }
        Runtime.shutdown(status: status, agreed: agreed)
    }

}
