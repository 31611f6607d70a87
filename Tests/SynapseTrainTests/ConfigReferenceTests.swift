import Foundation
import Testing
import SynapseTestSupport
@testable import SynapseTrain

/// docs/configuration.md against the code: every key the config loader accepts has a row in
/// the reference, and where a row gives its default as one value, it is the code's default.
///
/// The keys come from the code (`Config.keyReference()`: the default config's tree), not from a
/// list kept here, so a key added to a section is missing from the page until someone writes it.
@Suite struct ConfigReferenceTests {
    static let page = ProcessRunner.packageRoot.appendingPathComponent("docs/configuration.md")

    @Test func everyKeyTheCodeAcceptsHasARow() throws {
        let rows = ReferencePage.rows(in: try String(contentsOf: Self.page, encoding: .utf8))
        let missing = ReferencePage.missingKeys(Config.keyReference(), rows: rows)
        let fix = "add a row | `section.key` | type | default | meaning | for each"
        #expect(missing.isEmpty, "docs/configuration.md has no row for: \(missing.joined(separator: ", ")); \(fix)")
    }

    @Test func everyDefaultWrittenAsOneValueIsTheCodesDefault() throws {
        let rows = ReferencePage.rows(in: try String(contentsOf: Self.page, encoding: .utf8))
        for key in Config.keyReference() {
            guard let written = rows[key.path]?.defaultValue else { continue }
            #expect(ReferencePage.sameValue(written, key.defaultValue),
                    "docs/configuration.md gives \(key.path) the default `\(written)`, the code \(key.defaultValue)")
        }
    }

    /// The walk finds keys at every depth, including the nested sections.
    @Test func keyReferenceReachesNestedSections() {
        let paths = Config.keyReference().map(\.path)
        for path in ["name", "model.kind", "data.augment.random_erasing", "train.schedule.warmup_steps",
                     "train.early_stopping.restore_best", "train.distillation.teachers", "optimizer.l2"] {
            #expect(paths.contains(path), "\(path) not in \(paths)")
        }
        #expect(!paths.contains("train.schedule"), "sections are not keys of their own")
        #expect(Config.keyReference().first { $0.path == "train.batch_size" }?.defaultValue == "64")
        #expect(Config.keyReference().first { $0.path == "model.hidden" }?.defaultValue == "[256, 128]")
    }

    /// The check fails when a row is removed, and names the key.
    @Test func aMissingRowIsReported() throws {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("| `train.schedule.min_lr` |") },
                               "the page has no row for train.schedule.min_lr")
        let without = text.replacingOccurrences(of: row + "\n", with: "")
        let missing = ReferencePage.missingKeys(Config.keyReference(), rows: ReferencePage.rows(in: without))
        #expect(missing == ["train.schedule.min_lr"])
    }

    /// The check fails when a written default is wrong.
    @Test func aWrongDefaultIsReported() {
        let rows = ReferencePage.rows(in: "| `train.batch_size` | integer | `32` | the global batch |\n")
        #expect(rows["train.batch_size"]?.defaultValue == "32")
        #expect(!ReferencePage.sameValue("32", "64"))
        #expect(ReferencePage.sameValue("0", "0.0"))
        #expect(ReferencePage.sameValue("5.0e-4", "0.0005"))
        #expect(!ReferencePage.sameValue("relu", "gelu"))
    }
}

/// Reads the tables of docs/configuration.md: rows `| \`key\` | type | default | meaning |`.
enum ReferencePage {
    struct Row {
        /// The default cell's value when the cell is exactly one code span (`64`), else nil
        /// (defaults that depend on another key are written in words).
        let defaultValue: String?
    }

    /// The rows whose first cell is one code span, by key.
    static func rows(in text: String) -> [String: Row] {
        var rows: [String: Row] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("|") {
            let cells = splitCells(String(line))
            guard let key = cells.first.flatMap(codeSpan) else { continue }
            rows[key] = Row(defaultValue: cells.count > 2 ? codeSpan(cells[2]) : nil)
        }
        return rows
    }

    /// The keys of `reference` that have no row, in order.
    static func missingKeys(_ reference: [Config.KeyReference], rows: [String: Row]) -> [String] {
        reference.map(\.path).filter { rows[$0] == nil }
    }

    /// Whether two YAML values read the same: as numbers when both are numbers, else as text.
    static func sameValue(_ a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b) { return x == y }
        return a == b
    }

    /// The cells of a table row, trimmed; `\|` inside a cell is a literal bar.
    private static func splitCells(_ line: String) -> [String] {
        var cells: [String] = [], cell = "", previous: Character = " "
        for character in line.dropFirst() {
            if character == "|" && previous != "\\" {
                cells.append(cell.trimmingCharacters(in: .whitespaces))
                cell = ""
            } else {
                cell.append(character)
            }
            previous = character
        }
        return cells
    }

    /// The text of a cell that is exactly one code span, `` `x` `` → x.
    private static func codeSpan(_ cell: String) -> String? {
        guard cell.count >= 2, cell.hasPrefix("`"), cell.hasSuffix("`") else { return nil }
        let inner = cell.dropFirst().dropLast()
        guard !inner.isEmpty, !inner.contains("`") else { return nil }
        return String(inner).replacingOccurrences(of: "\\|", with: "|")
    }
}
