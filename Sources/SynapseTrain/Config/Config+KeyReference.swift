import Yams

/// Every key a config file accepts, read from the code itself.
///
/// The default config, encoded to a YAML tree, holds every key the strict decoder accepts (each
/// section's `CodingKeys` are exactly its encoded keys), so walking that tree lists them all:
/// the reference `docs/configuration.md` is checked against this list
/// (`ConfigReferenceTests`), and a key added to a section without a line in the reference
/// fails that test.
extension Config {
    /// One key of the format: its dotted path and its default as YAML text.
    struct KeyReference: Equatable, Sendable {
        /// Dotted path from the top of the file, e.g. `train.schedule.warmup_steps`.
        let path: String
        /// The default, written as in a flow-style YAML file: `64`, `0.1`, `relu`, `[256, 128]`,
        /// `""`. For keys whose default follows another key (`data.path`, `data.vocab_size`,
        /// `optimizer.lr`, `optimizer.weight_decay`, `optimizer.eps`) this is the value that
        /// follows the other key's default.
        let defaultValue: String
    }

    /// Every leaf key of the config (a value or a list, not a section), in file order.
    static func keyReference() -> [KeyReference] {
        var keys: [KeyReference] = []
        collectKeys(of: Config().resolvedNode(), under: [], into: &keys)
        return keys
    }

    private static func collectKeys(of node: Node, under prefix: [String], into keys: inout [KeyReference]) {
        guard case .mapping(let mapping) = node else {
            keys.append(KeyReference(path: prefix.joined(separator: "."), defaultValue: flowText(of: node)))
            return
        }
        for (key, value) in mapping {
            collectKeys(of: value, under: prefix + [key.scalar?.string ?? "\(key)"], into: &keys)
        }
    }

    /// `node` as one line of flow-style YAML.
    private static func flowText(of node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            scalar.style == .doubleQuoted ? "\"\(scalar.string)\"" : scalar.string
        case .sequence(let sequence):
            "[" + sequence.map(flowText(of:)).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            "{" + mapping.map { "\($0.key.scalar?.string ?? "?"): \(flowText(of: $0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
