import Foundation
import Testing
import SynapseTestSupport

/// Every public declaration of the library modules has a doc comment, so the DocC reference
/// (docs/api.md) has no blank pages. DocC itself only warns about broken links and partial
/// parameter lists (`.ci/docs` fails on those); this test is the coverage half.
///
/// The rule, on the source text: a line that declares something `public` or `open` is directly
/// preceded by a `///` line (attributes such as `@discardableResult` may sit between). An
/// `override` is exempt: DocC shows the documentation of what it overrides.
@Suite struct PublicAPIDocumentationTests {
    static let modules = ["SynapseCore", "SynapseNN", "SynapseOptim", "SynapseData",
                          "SynapseComm", "SynapseMPI", "SynapseTrain"]

    @Test func everyPublicDeclarationHasADocComment() throws {
        var missing: [String] = []
        var declarations = 0
        for module in Self.modules {
            let root = ProcessRunner.packageRoot.appendingPathComponent("Sources/\(module)")
            for file in try Self.swiftFiles(under: root) {
                let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
                for (index, line) in lines.enumerated() where Self.declaresPublicAPI(line) {
                    declarations += 1
                    if !Self.isDocumented(lineAt: index, in: lines) {
                        let path = file.path.replacingOccurrences(of: ProcessRunner.packageRoot.path + "/", with: "")
                        missing.append("\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        #expect(declarations > 1000, "found only \(declarations) public declarations: is the scan reading Sources/?")
        #expect(missing.isEmpty, """
            \(missing.count) public declaration(s) without a /// doc comment (write one line: what it is, \
            in the reader's terms):
            \(missing.joined(separator: "\n"))
            """)
    }

    /// The rule itself, on lines whose answer is known.
    @Test func theRuleRecognizesDeclarationsAndComments() {
        #expect(Self.declaresPublicAPI("    public var rank: Int { 0 }"))
        #expect(Self.declaresPublicAPI("@inlinable public func f() {}"))
        #expect(Self.declaresPublicAPI("open class Module {"))
        #expect(!Self.declaresPublicAPI("    public override func forward(_ x: Tensor) -> Tensor {"))
        #expect(!Self.declaresPublicAPI("public import Foundation"))
        #expect(!Self.declaresPublicAPI("    // public var x"))
        #expect(!Self.declaresPublicAPI("    publicValue = 1"))
        #expect(Self.isDocumented(lineAt: 2, in: ["/// The size.", "@discardableResult", "public func f() -> Int"]))
        #expect(!Self.isDocumented(lineAt: 1, in: ["// not a doc comment", "public func f()"]))
        #expect(!Self.isDocumented(lineAt: 0, in: ["public func f()"]))
    }

    static func declaresPublicAPI(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        var words = trimmed.split(separator: " ").map(String.init)
        while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
        guard let access = words.first, access == "public" || access == "open" else { return false }
        if words.count > 1 && words[1] == "import" { return false }
        return !words.contains("override")
    }

    static func isDocumented(lineAt index: Int, in lines: [String]) -> Bool {
        var above = index - 1
        while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
        return above >= 0 && lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///")
    }

    static func swiftFiles(under root: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: root.path])
        }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            .sorted { $0.path < $1.path }
    }
}
