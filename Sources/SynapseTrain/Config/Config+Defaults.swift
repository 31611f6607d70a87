import Yams

/// How a partial config file gets its defaults.
///
/// Each key's default is written once: as its property's initial value, or, where it depends on
/// another key, in the section's `init` (`DataConfig(dataset:)`, `OptimizerConfig(name:)`).
/// The file's tree is laid over the default config's tree (`Node.laid(over:)`), so every key is
/// present, and the synthesized `Decodable` conformances read the result through the strict
/// `NodeDecoder`. The user's own nodes are kept as written, so unknown keys, duplicates and wrong
/// types are reported exactly as in the file.
extension Config {
    /// The default config for the choices made in `chosen`: every key takes its default, except
    /// the keys whose default depends on another key, which follow `chosen`'s value of that key
    /// (`data.path` on `data.dataset`; `data.vocab_size` on `data.tokenizer`; `optimizer.lr`,
    /// `weight_decay` and `eps` on `optimizer.name`).
    init(defaultsFollowing chosen: Config) {
        self.init()
        data = DataConfig(dataset: chosen.data.dataset, tokenizer: chosen.data.tokenizer)
        optimizer = OptimizerConfig(name: chosen.optimizer.name)
    }

    /// Decodes a config file's tree in which any key may be absent or null (`epochs:`, `epochs: ~`).
    ///
    /// Two passes, because a dependent default needs the key it depends on: the first lays `tree`
    /// over the plain defaults (and reports every unknown key and wrong type), the second over
    /// `Config(defaultsFollowing:)` the first result, which only changes the defaults that follow.
    static func decode(_ tree: Node) throws -> Config {
        let schema = Config().resolvedNode()
        let chosen = try Config(from: NodeDecoder(node: tree.laid(over: schema), schema: schema))
        let defaults = Config(defaultsFollowing: chosen).resolvedNode()
        return try Config(from: NodeDecoder(node: tree.laid(over: defaults), schema: schema))
    }
}

extension Node {
    /// This tree with every key it lacks taken from `defaults`, section by section.
    ///
    /// A null value (`epochs:`, `model: ~`) counts as absent. Where both sides hold a section
    /// the two are merged: this tree's keys first, in their order and with their duplicates (so
    /// that `NodeDecoder` reports the first unknown or repeated key as written), then the
    /// defaults' remaining keys. Anything else of this tree (a value, a list, a section where the
    /// default is a value) is kept as written: lists replace the default list whole.
    func laid(over defaults: Node) -> Node {
        if NodeDecoder.isNull(self) { return defaults }
        guard case .mapping(let mapping) = self, case .mapping(let defaultMapping) = defaults else { return self }
        func name(_ key: Node) -> String? { key.scalar?.string }
        var pairs = mapping.map { key, value in
            let fallback = defaultMapping.first { name($0.key) == name(key) }?.value
            return (key, fallback.map { value.laid(over: $0) } ?? value)
        }
        let written = Set(mapping.keys.compactMap(name))
        pairs += defaultMapping.filter { !written.contains(name($0.key) ?? "") }.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }
}
