import Foundation
import Testing
import SynapseTestSupport

/// `--help` output and argument-parsing errors of the `synapse` binary, as a user sees them.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct CLIHelpTests {
    @Test func rootHelpListsTheSubcommandsAndExitStatuses() throws {
        let result = try SynapseCLI.run(["--help"])
        #expect(result.status == 0, "\(result.report)")
        for text in ["USAGE: synapse <subcommand>", "train", "eval", "bench", "plot", "inspect", "verify", "predict", "export", "Exit status", "75", "SIGUSR1"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from\n\(result.report)")
        }
    }

    @Test func trainHelpListsEveryOption() throws {
        let result = try SynapseCLI.run(["train", "--help"])
        #expect(result.status == 0, "\(result.report)")
        for text in ["USAGE: synapse train <config>", "--run-dir", "--set <key=value>", "--resume <auto|PATH>",
                     "--threads", "metrics.jsonl", "SIGUSR1"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from\n\(result.report)")
        }
    }

    @Test func evalHelpListsEveryOption() throws {
        let result = try SynapseCLI.run(["eval", "--help"])
        #expect(result.status == 0, "\(result.report)")
        for text in ["USAGE: synapse eval <checkpoint>", "--split", "--data-path"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from\n\(result.report)")
        }
    }

    @Test func exportHelpListsEveryOption() throws {
        let result = try SynapseCLI.run(["export", "--help"])
        #expect(result.status == 0, "\(result.report)")
        for text in ["USAGE: synapse export <checkpoint>", "--onnx <FILE.onnx>", "--batch <N|dynamic>", "--data-path", "opset 17"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from\n\(result.report)")
        }
    }

    @Test func plotHelpListsEveryOption() throws {
        let result = try SynapseCLI.run(["plot", "--help"])
        #expect(result.status == 0, "\(result.report)")
        for text in ["USAGE: synapse plot <run-directories> ...", "--output", "curves.svg", "dashed"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from\n\(result.report)")
        }
    }

    /// `synapse --generate-completion-script SHELL` (README, docs/commands.md) prints a script
    /// that completes every subcommand and a subcommand's options, and exits 0.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesTheSubcommands(shell: String) throws {
        let result = try SynapseCLI.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stderr.isEmpty, "\(result.report)")
        // Option names without their dashes: fish writes them as `-l 'run-dir'`.
        for text in ["train", "eval", "bench", "plot", "inspect", "verify", "predict", "generate", "export", "run-dir", "resume", "top-k", "onnx"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from the \(shell) script\n\(result.report)")
        }
    }

    @Test func completionScriptForAnUnknownShellIsAUsageError() throws {
        let result = try SynapseCLI.run(["--generate-completion-script", "powershell"])
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stdout.isEmpty, "\(result.report)")
    }

    @Test func helpSubcommandWorksLikeTheFlag() throws {
        let result = try SynapseCLI.run(["help", "train"])
        #expect(result.status == 0, "\(result.report)")
        #expect(result.stdout.contains("--run-dir"), "\(result.report)")
    }

    @Test(arguments: [["train", SynapseCLI.fashionConfig, "--bogus"], ["--bogus"], ["frobnicate"],
                      ["eval", "a", "--split"], ["train"]])
    func usageErrorsExitWithStatus2(arguments: [String]) throws {
        let result = try SynapseCLI.run(arguments)
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stdout.isEmpty, "\(result.report)")
        #expect(result.stderr.lowercased().contains("error"), "\(result.report)")
        #expect(result.stderr.contains("--help"), "a usage error points at --help\n\(result.report)")
    }

    @Test func unknownFlagIsNamed() throws {
        let result = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--epochs", "3"])
        #expect(result.status == 2, "\(result.report)")
        #expect(result.stderr.contains("'--epochs'"), "\(result.report)")
    }

    @Test func unknownEvalSplitIsAUserError() throws {
        let result = try SynapseCLI.run(["eval", "/nonexistent", "--split", "validation"])
        expectUserError(result, mentions: ["--split validation", "test, val or train"])
    }
}
