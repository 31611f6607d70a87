import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import SynapseTrain

/// metrics.csv read back (`MetricsFile`) and drawn (`TrainingCurves`, `synapse plot`).
@Suite struct TrainingCurvesTests {
    func row(_ step: Int, _ epoch: Int, _ split: String, loss: Double, accuracy: Double? = nil,
             lr: Double = 0.1) -> MetricsRow {
        MetricsRow(step: step, epoch: epoch, split: split, loss: loss, accuracy: accuracy, lr: lr,
                   samplesPerSec: split == "train" ? 1000 : nil, elapsedSec: Double(step) / 10)
    }

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("curves-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func expectTicks(_ actual: [Double], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(actual) vs \(expected)", sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect(abs(a - e) <= 1e-9 * max(1, abs(e)), "\(actual) vs \(expected)", sourceLocation: sourceLocation)
        }
    }

    @Test func niceTicksByHand() {
        // 0…0.93 in about 5 intervals: rough 0.186 → 2 × 0.1 → 0, 0.2, …, 1.0.
        expectTicks(TrainingCurves.niceTicks(0, 0.93), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        // 0…34,360 steps: rough 6,872 → 5 × 1,000 → 0, 5,000, …, 35,000.
        expectTicks(TrainingCurves.niceTicks(0, 34_360), stride(from: 0.0, through: 35_000, by: 5_000).map { $0 })
        // A cosine learning rate 0.02 → 0: rough 0.004 → 5 × 0.001.
        expectTicks(TrainingCurves.niceTicks(0, 0.02), [0, 0.005, 0.01, 0.015, 0.02])
        // Accuracy 77.7…96.8 %: rough 3.82 → 5 × 1 → 75 … 100.
        expectTicks(TrainingCurves.niceTicks(77.7, 96.8), [75, 80, 85, 90, 95, 100])
        // One value: widened by 10 % each way (0.45…0.55), rough 0.02 → ticks 0.02 apart.
        expectTicks(TrainingCurves.niceTicks(0.5, 0.5), [0.44, 0.46, 0.48, 0.5, 0.52, 0.54, 0.56])
        expectTicks(TrainingCurves.niceTicks(0, 0), [-1, -0.5, 0, 0.5, 1])
    }

    @Test func tickLabelDecimals() {
        #expect(TrainingCurves.decimals(forSpacing: 0.2) == 1)
        #expect(TrainingCurves.decimals(forSpacing: 5_000) == 0)
        #expect(TrainingCurves.decimals(forSpacing: 0.005) == 3)
        #expect(TrainingCurves.decimals(forSpacing: 0.0005) == 4)
        #expect(TrainingCurves.decimals(forSpacing: 1) == 0)
    }

    @Test func csvLinesReadBackAsWritten() throws {
        let rows = [row(400, 1, "train", loss: 0.9033159337379039, accuracy: 0.7773046875, lr: 0.01999334618449211),
                    row(859, 1, "val", loss: 0.33189086303710935, accuracy: 0.8808),
                    row(900, 2, "train", loss: 1e-7, lr: 0)]
        for r in rows {
            #expect(try MetricsRow(csvLine: Substring(r.csvLine)) == r, "\(r.csvLine)")
        }
        let diverged = try MetricsRow(csvLine: Substring(row(10, 1, "train", loss: .nan).csvLine))
        #expect(diverged.loss.isNaN)
    }

    @Test func loadsWhatTheWriterWrote() throws {
        let dir = try temporaryDirectory()
        let rows = [row(100, 1, "train", loss: 1.2, accuracy: 0.6), row(200, 1, "val", loss: 0.8, accuracy: 0.7),
                    row(300, 2, "train", loss: 0.7, accuracy: 0.75), row(400, 2, "test", loss: 0.75, accuracy: 0.72)]
        do {
            let writer = try MetricsWriter(runDirectory: URL(fileURLWithPath: dir), keepUpToStep: nil)
            for r in rows { try writer.append(r) }
        }
        let file = try MetricsFile.load(runDirectory: dir)
        #expect(file.rows == rows)
        #expect(file.rows("val") == [rows[1]])
        #expect(file.name == URL(fileURLWithPath: dir).lastPathComponent)
    }

    @Test func badMetricsFilesAreRefusedWithWhereAndWhy() throws {
        let dir = try temporaryDirectory()
        let csv = dir + "/metrics.csv"
        func message(_ text: String?) -> String {
            if let text { _ = FileManager.default.createFile(atPath: csv, contents: Data(text.utf8)) }
            do {
                _ = try MetricsFile.load(runDirectory: dir)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(nil).contains("metrics.csv: missing or unreadable"))
        let header = "step,epoch,split,loss,accuracy,lr,samples_per_sec,elapsed_sec\n"
        #expect(message(header).contains("no rows logged yet"))
        #expect(message("step,loss\n1,2\n").contains("line 1: expected the header"))
        let good = "400,1,train,0.9,0.77,0.02,2154.4,11.8\n"
        let shortLine = message(header + good + "800,1,train,0.4\n")
        #expect(shortLine.contains("metrics.csv line 3: expected 8 comma-separated fields"), "\(shortLine)")
        let badNumber = message(header + "800,1,train,zero,0.8,0.02,,23.9\n")
        #expect(badNumber.contains("line 2: loss is not a number: \"zero\""), "\(badNumber)")
        #expect(message(header + "800,1,dev,0.4,0.8,0.02,,23.9\n").contains("split must be train, val or test"))
        #expect(message(header + "8.5,1,train,0.4,0.8,0.02,,23.9\n").contains("step is not a whole number"))
        #expect(message(header + good) == "loaded")
        // A row being written by a running job (no newline yet) is left for the next look.
        #expect(message(header + good + "800,1,tr") == "loaded")
        #expect(try MetricsFile.load(runDirectory: dir).rows.count == 1)
        let error = #expect(throws: UserError.self) { try MetricsFile.load(runDirectory: dir + "/nowhere") }
        #expect(error?.message.contains("nowhere: no such run directory") == true)
    }

    @Test func pointsLandWhereTheAxesSay() {
        // One run, two training rows. The step axis runs 0…200 (ticks 50 apart) over pixels
        // 80…876; the loss axis 0.5…1.0 (ticks 0.1 apart) over the first panel, whose plotting
        // area starts below the legend (52 px for one run) and the title (34 px): y 86…306.
        // So (100, 1.0) → (478, 86) and (200, 0.5) → (876, 306).
        let run = MetricsFile(runDirectory: "/tmp/one", rows: [row(100, 1, "train", loss: 1.0, lr: 0.1),
                                                               row(200, 1, "train", loss: 0.5, lr: 0.1)])
        let svg = TrainingCurves.svg([run])
        #expect(svg.contains("<polyline points=\"478.0,86.0 876.0,306.0\""), "\(svg)")
        #expect(!svg.contains("Accuracy"), "no row has an accuracy, so no accuracy panel")
        #expect(svg.contains(">Loss<") && svg.contains(">Learning rate<"))
        // A constant learning rate of 0.1 is drawn level in the middle of 0.09…0.11.
        let lrPanelTop = 86.0 + 220 + 40 + 34, middle = lrPanelTop + 110
        #expect(svg.contains("<polyline points=\"478.0,\(middle) 876.0,\(middle)\""), "\(svg)")
    }

    @Test func validationIsDashedTestIsADiamondAndNaNBreaksTheLine() {
        let run = MetricsFile(runDirectory: "/tmp/r", rows: [
            row(100, 1, "train", loss: 1.0, accuracy: 0.5), row(200, 1, "train", loss: .nan, accuracy: 0.6),
            row(300, 1, "train", loss: 0.6, accuracy: 0.7), row(400, 1, "train", loss: 0.5, accuracy: 0.8),
            row(400, 1, "val", loss: 0.55, accuracy: 0.75), row(800, 2, "val", loss: 0.5, accuracy: 0.8),
            row(800, 2, "test", loss: 0.52, accuracy: 0.79)])
        let svg = TrainingCurves.svg([run])
        let lossPanel = String(svg[svg.range(of: ">Loss<")!.upperBound..<svg.range(of: ">Accuracy (%)<")!.lowerBound])
        // Training loss: a lone dot before the NaN, a line after it.
        #expect(lossPanel.components(separatedBy: "<circle").count - 1 == 1, "\(lossPanel)")
        #expect(lossPanel.components(separatedBy: "<polyline").count - 1 == 2, "train after the NaN + validation")
        #expect(lossPanel.components(separatedBy: "stroke-dasharray").count - 1 == 1, "only validation is dashed")
        #expect(lossPanel.components(separatedBy: "<polygon").count - 1 == 1, "one test diamond")
        #expect(svg.contains(">Accuracy (%)<"))
    }

    @Test func theDocumentIsWellFormedXMLEvenWithOddRunNames() throws {
        let runs = [MetricsFile(runDirectory: "/tmp/a<b>&\"c\"", rows: [row(10, 1, "train", loss: 1), row(20, 1, "val", loss: 0.9)]),
                    MetricsFile(runDirectory: "/tmp/second", rows: [row(10, 1, "train", loss: 2)])]
        let svg = TrainingCurves.svg(runs)
        #expect(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;"))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")\n\(svg)")
        // Two runs: two legend colours, the second run in the palette's second colour.
        #expect(svg.contains("fill=\"\(TrainingCurves.palette[1])\""))
    }

    @Test func summaryNamesTheBestValidationPassAndTheTest() {
        let run = MetricsFile(runDirectory: "/runs/fashion-cnn", rows: [
            row(400, 1, "train", loss: 0.9, accuracy: 0.78), row(859, 1, "val", loss: 0.33, accuracy: 0.8808),
            row(1718, 2, "val", loss: 0.30, accuracy: 0.9364), row(2577, 3, "val", loss: 0.26, accuracy: 0.93),
            row(2577, 3, "test", loss: 0.2094, accuracy: 0.9282)])
        #expect(run.summary == "fashion-cnn: 3 epochs, 2577 steps, 258 s; best validation accuracy 93.64 % at epoch 2 "
                               + "(loss 0.3000); test accuracy 92.82 % (loss 0.2094)")
        let regression = MetricsFile(runDirectory: "/runs/sine", rows: [
            row(10, 1, "train", loss: 0.5), row(10, 1, "val", loss: 0.4), row(20, 2, "val", loss: 0.45)])
        #expect(regression.summary == "sine: 2 epochs, 20 steps, 2 s; lowest validation loss 0.4000 at epoch 1; "
                                      + "no test pass yet (the run stopped early or is still running)")
    }
}
