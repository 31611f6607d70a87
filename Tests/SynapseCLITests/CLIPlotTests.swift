import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// `synapse plot`: curves of a real training run, and its refusals.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"))
struct CLIPlotTests {
    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed"))
    func plotsTheShortRun() throws {
        let run = try ShortRun.finished()
        // Plot a copy, so the shared run directory stays as `synapse train` left it.
        let copy = try TestDirectory("plot").file("short-run")
        try FileManager.default.copyItem(atPath: run.directory, toPath: copy)
        let plot = try SynapseCLI.run(["plot", copy])
        try #require(plot.status == 0, "\(plot.report)")
        let svg = try String(contentsOfFile: copy + "/curves.svg", encoding: .utf8)
        // 3 epochs: 3 validation points on a dashed line in each of the loss and accuracy panels,
        // one test diamond in each, and a training line per panel (loss, accuracy, lr).
        #expect(svg.components(separatedBy: "stroke-dasharray=\"7 4\"/>").count - 1 == 3, "legend + two validation lines")
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 5, "train × 3 panels + val × 2")
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 3, "legend + 2 test diamonds")
        // The summary line agrees with the metrics file.
        let test = try #require(try MetricsFile.load(runDirectory: copy).rows("test").last)
        #expect(plot.stdout.contains("short-run: 3 epochs, \(ShortRun.steps) steps"), "\(plot.report)")
        #expect(plot.stdout.contains(String(format: "test accuracy %.2f %%", 100 * (test.accuracy ?? .nan))), "\(plot.report)")
        #expect(plot.stdout.contains("wrote \(copy)/curves.svg"), "\(plot.report)")
    }

    /// A run directory holding a small metrics file written by `MetricsWriter`.
    func writtenRun(_ name: String) throws -> String {
        let dir = try TestDirectory("plot-input").file(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let writer = try MetricsWriter(runDirectory: URL(fileURLWithPath: dir), keepUpToStep: nil)
        try writer.append(MetricsRow(step: 10, epoch: 1, split: "train", loss: 1, accuracy: 0.5, lr: 0.1,
                                     samplesPerSec: 100, elapsedSec: 1))
        try writer.append(MetricsRow(step: 20, epoch: 1, split: "val", loss: 0.9, accuracy: 0.6, lr: 0.1,
                                     samplesPerSec: nil, elapsedSec: 2))
        return dir
    }

    @Test func comparesSeveralRunsIntoOneFile() throws {
        let a = try writtenRun("dropout-0.2"), b = try writtenRun("dropout-0.4")
        let out = try TestDirectory("plot-out").file("compare.svg")
        let plot = try SynapseCLI.run(["plot", a, b, "--output", out])
        try #require(plot.status == 0, "\(plot.report)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.contains(">dropout-0.2<") && svg.contains(">dropout-0.4<"))
        #expect(plot.stdout.contains("dropout-0.2: 1 epoch, 20 steps") && plot.stdout.contains("dropout-0.4: 1 epoch"))
        #expect(!FileManager.default.fileExists(atPath: a + "/curves.svg"), "nothing written into the runs")
    }

    @Test func refusalsExitTwoAndWriteNothing() throws {
        let run = try writtenRun("run")
        let elsewhere = try TestDirectory("plot-refused")
        let cases: [(arguments: [String], message: String)] = [
            (["plot", elsewhere.file("missing")], "no such run directory"),
            (["plot", elsewhere.path], "metrics.csv: missing or unreadable"),
            (["plot", run, run], "--output FILE.svg"),
            (["plot", run, "--output", elsewhere.file("no/such/dir/x.svg")], "does not exist; create it first"),
            (["plot", run, "--output", elsewhere.file("curves.png")], "must end in .svg"),
            (["plot"], "run-directories"),
        ]
        for c in cases {
            let result = try SynapseCLI.run(c.arguments)
            #expect(result.status == 2, "\(result.report)")
            #expect(result.stderr.contains(c.message), "\(result.report)")
        }
        #expect(!FileManager.default.fileExists(atPath: run + "/curves.svg"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }
}
