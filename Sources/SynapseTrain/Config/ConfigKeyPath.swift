import Yams

/// The location of a value inside a config tree: `train.early_stopping.patience`, `model.hidden[1]`.
///
/// Errors carry one of these so that the loader can name the key in dotted form and look the
/// value up in the parsed YAML to add its line and column.
struct ConfigKeyPath: Equatable, Sendable, CustomStringConvertible {
    /// One step down the tree: a mapping key or a list index.
    enum Component: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The steps from the root; empty means the whole file.
    var components: [Component]

    /// The root of the tree.
    static let root = ConfigKeyPath(components: [])

    init(components: [Component]) {
        self.components = components
    }

    /// A path of mapping keys, e.g. `ConfigKeyPath("train", "epochs")`.
    init(_ keys: String...) {
        components = keys.map { .key($0) }
    }

    /// The path of a Codable coding path (integer keys are list indices).
    init(_ codingPath: [any CodingKey]) {
        components = codingPath.map { key in key.intValue.map { .index($0) } ?? .key(key.stringValue) }
    }

    /// This path extended by one mapping key.
    func appending(_ key: String) -> ConfigKeyPath {
        ConfigKeyPath(components: components + [.key(key)])
    }

    /// This path extended by one list index.
    func appending(index: Int) -> ConfigKeyPath {
        ConfigKeyPath(components: components + [.index(index)])
    }

    /// The path one step up (the section that holds this key); the root stays the root.
    var parent: ConfigKeyPath {
        ConfigKeyPath(components: Array(components.dropLast()))
    }

    /// The last mapping key, if the path ends in one.
    var lastKey: String? {
        if case .key(let name)? = components.last { return name }
        return nil
    }

    /// Dotted form: `train.early_stopping.patience`, `model.hidden[1]`; `<top level>` for the root.
    var description: String {
        if components.isEmpty { return "<top level>" }
        var text = ""
        for component in components {
            switch component {
            case .key(let name): text += text.isEmpty ? name : "." + name
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    /// True when `self` equals `other` or lies below it (`model.hidden[0]` is inside `model.hidden`).
    func isInside(_ other: ConfigKeyPath) -> Bool {
        components.starts(with: other.components)
    }

    /// The node this path names in `tree`, or nil when some step does not exist.
    func node(in tree: Node) -> Node? {
        var current = tree
        for component in components {
            switch (component, current) {
            case (.key(let name), .mapping(let mapping)):
                // The last occurrence, as YAML readers do (duplicates are rejected while decoding anyway).
                guard let pair = mapping.reversed().first(where: { $0.key.scalar?.string == name }) else { return nil }
                current = pair.value
            case (.index(let i), .sequence(let sequence)):
                guard sequence.indices.contains(i) else { return nil }
                current = sequence[i]
            default:
                return nil
            }
        }
        return current
    }
}

/// A coding key for list positions and free-form names, used where no `CodingKeys` enum exists.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}
