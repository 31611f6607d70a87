import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse plot RUN_DIR...`: training and validation curves of one or more runs as SVG.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the training and validation curves of one or more runs (SVG).",
        discussion: """
        Reads RUN_DIR/metrics.csv and draws loss, accuracy and learning rate against the step: \
        training as solid lines, validation dashed, the test pass as a diamond, one colour per \
        run. One run: writes RUN_DIR/curves.svg unless --output says otherwise. Several runs \
        (to compare recipes): --output is required. Prints a one-line summary per run.
        """)

    @Argument(help: "Run directories written by `synapse train` (runs/<name> or --run-dir).")
    var runDirectories: [String]

    @Option(name: .shortAndLong, help: "Where to write the SVG (default: RUN_DIR/curves.svg for one run).")
    var output: String?

    func validate() throws {
        guard !runDirectories.isEmpty else {
            throw ValidationError("give at least one run directory, e.g. `synapse plot runs/fashion-mlp`")
        }
        if runDirectories.count > 1 && output == nil {
            throw ValidationError("with \(runDirectories.count) runs, say where the comparison goes: --output FILE.svg")
        }
    }

    func run() throws {
        let runs = try runDirectories.map { try MetricsFile.load(runDirectory: $0) }
        let path = output ?? URL(fileURLWithPath: runDirectories[0]).appendingPathComponent("curves.svg").path
        guard path.hasSuffix(".svg") else {
            throw UserError("--output \(path): the file name must end in .svg (the picture is SVG)")
        }
        var isDirectory: ObjCBool = false
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("--output \(path): the directory \(parent) does not exist; create it first")
        }
        try AtomicFile.write(Data(TrainingCurves.svg(runs).utf8), to: path)
        for run in runs { print(run.summary) }
        print("wrote \(path)")
    }
}
