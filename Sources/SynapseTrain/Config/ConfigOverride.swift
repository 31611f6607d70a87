import Yams

/// One `--set key=value` command-line override, applied to the YAML tree before decoding so that
/// it passes through the same strict decoding and validation as the file itself.
///
/// The key is dotted (`train.epochs`, `train.early_stopping.patience`); the value is parsed as
/// YAML, so `3`, `0.1`, `true`, `adam`, `[512, 256]` and `{patience: 3}` all work.
struct ConfigOverride {
    /// The argument as given, e.g. `optimizer.lr=0.1`, for error messages.
    let argument: String
    /// The key to set.
    let path: ConfigKeyPath
    /// The parsed value.
    let value: Node

    /// Parses `key=value`; the key ends at the first `=`.
    init(parsing argument: String) throws(ConfigError) {
        self.argument = argument
        guard let equals = argument.firstIndex(of: "=") else {
            throw Self.error(argument, "expected key=value, e.g. --set train.epochs=3")
        }
        let keys = argument[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard keys.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw Self.error(argument, "'\(argument[..<equals])' is not a dotted key such as train.epochs")
        }
        path = ConfigKeyPath(components: keys.map { .key($0) })
        let text = String(argument[argument.index(after: equals)...])
        if let violation = YAMLLimits.violation(in: text) {
            throw Self.error(argument, "the value is not accepted: \(violation.message)")
        }
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: text)
        } catch {
            throw Self.error(argument, "the value is not valid YAML (\(YAMLSyntax.problem(of: error))); "
                             + "quote text and write lists as [a, b]")
        }
        guard let parsed else {
            throw Self.error(argument, "missing value; write --set \(path)=VALUE")
        }
        value = parsed
    }

    /// `tree` with this override's value stored at its key; missing sections are created.
    func apply(to tree: Node) throws(ConfigError) -> Node {
        try setting(at: path.components[...], in: tree, under: .root)
    }

    private func setting(at keys: ArraySlice<ConfigKeyPath.Component>, in node: Node,
                         under prefix: ConfigKeyPath) throws(ConfigError) -> Node {
        guard case .key(let key)? = keys.first else { return value }
        var mapping: Node.Mapping
        switch node {
        case .mapping(let existing):
            mapping = existing
        case _ where NodeDecoder.isNull(node):
            mapping = Node.Mapping([])
        default:
            throw Self.error(argument, "cannot set '\(path)': '\(prefix)' holds \(NodeDecoder.describe(node)), "
                             + "not a section; set the whole value instead: --set \(prefix)=...")
        }
        let childPath = prefix.appending(key)
        if let index = mapping.firstIndex(where: { $0.key.scalar?.string == key }) {
            let child = try setting(at: keys.dropFirst(), in: mapping[index].value, under: childPath)
            mapping[index] = (key: mapping[index].key, value: child)
        } else {
            let child = try setting(at: keys.dropFirst(), in: Node("", Tag(.null)), under: childPath)
            mapping[Node(key, Tag(.str))] = child
        }
        return .mapping(mapping)
    }

    private static func error(_ argument: String, _ message: String) -> ConfigError {
        var error = ConfigError(.badOverride, at: nil, message, source: "command line")
        error.override = argument
        return error
    }
}
