import Foundation
import Testing
@testable import SynapseTrain
import SynapseTestSupport

/// The size and nesting bounds checked before config text reaches the YAML parser (whose
/// recursion a few thousand levels overflow): no false alarm on real configs, the line of
/// the problem on deep ones.
@Suite struct YAMLLimitsTests {
    @Test func shippedConfigsAreWithinTheLimits() throws {
        let dir = ProcessRunner.packageRoot.appendingPathComponent("configs").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        #expect(!names.isEmpty)
        for name in names {
            let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            #expect(YAMLLimits.violation(in: text) == nil, "\(name)")
        }
    }

    @Test func nestingOf64PassesAnd65IsRefusedAtItsLine() {
        func flow(_ n: Int) -> String { "a: 1\nb: " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\n" }
        // b's mapping is level 1, so 63 brackets reach 64.
        #expect(YAMLLimits.violation(in: flow(63)) == nil)
        #expect(YAMLLimits.violation(in: flow(64))?.line == 2)
        let block = (0..<70).map { String(repeating: " ", count: 2 * $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        #expect(YAMLLimits.violation(in: block)?.line == 65)
        #expect(YAMLLimits.violation(in: "x:\n  " + String(repeating: "- ", count: 80) + "1\n")?.line == 2)
    }

    @Test func bracketsInQuotesAndCommentsDoNotCount() {
        let text = "name: \"" + String(repeating: "[", count: 100) + "\"  # " + String(repeating: "{", count: 100) + "\n"
        #expect(YAMLLimits.violation(in: text) == nil)
    }

    @Test func deepConfigIsASyntaxErrorWithItsLineNotACrash() {
        let yaml = "model:\n  hidden: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n"
        let error = #expect(throws: ConfigError.self) { _ = try ConfigLoader.parse(yaml: yaml, source: "deep.yaml") }
        #expect(error?.kind == .syntax && error?.line == 2)
        #expect(error?.description.hasPrefix("deep.yaml:2: the text nests more than 64 levels") == true, "\(String(describing: error))")
        let override = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(yaml: "", overrides: ["model.hidden=" + String(repeating: "[", count: 20_000)])
        }
        #expect(override?.kind == .badOverride)
    }

    /// Found while writing the config fuzz target (Fuzz/FuzzConfig): `? ` (complex keys) and
    /// `- ? ` nest on one line without brackets, `-` may be followed by a tab, and a lone `\r`,
    /// NEL, LS or PS ends a line for the YAML parser. All went uncounted; 100,000 `? ` (or
    /// `- ? `) crashed Yams with a stack overflow.
    @Test func everyNestingIndicatorAndLineBreakCounts() {
        #expect(YAMLLimits.violation(in: String(repeating: "? ", count: 63) + "x\n") == nil)
        #expect(YAMLLimits.violation(in: String(repeating: "? ", count: 64) + "x\n")?.line == 1)
        #expect(YAMLLimits.violation(in: "a: 1\n" + String(repeating: "- ? ", count: 40) + "x\n")?.line == 2)
        #expect(YAMLLimits.violation(in: String(repeating: "-\t", count: 65) + "x\n")?.line == 1)
        #expect(YAMLLimits.violation(in: ": " + String(repeating: ": ", count: 70) + "x\n")?.line == 1)
        // Indentation 70 levels deep, the lines ended by CR, NEL or LS instead of LF.
        for lineBreak in ["\r", "\u{85}", "\u{2028}", "\r\n"] {
            let block = (0..<70).map { String(repeating: " ", count: 2 * $0) + "k\($0):" }.joined(separator: lineBreak) + " 1" + lineBreak
            #expect(YAMLLimits.violation(in: block)?.line == 65, "\(lineBreak.unicodeScalars.map(\.value))")
        }
        // A CR LF is one line break, not two: line numbers match the parser's.
        #expect(YAMLLimits.lines(of: Array("a\r\nb\rc\n\u{2029}d".utf8)).count == 5)
    }

    @Test func complexKeyNestingIsASyntaxErrorNotACrash() {
        let error = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(yaml: String(repeating: "? ", count: 100_000) + "x\n", source: "keys.yaml")
        }
        #expect(error?.kind == .syntax && error?.line == 1)
        let mixed = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(yaml: "name: x\n" + String(repeating: "- ? ", count: 50_000) + "x\n", source: "mixed.yaml")
        }
        #expect(mixed?.kind == .syntax && mixed?.line == 2)
    }
}
