/// A problem with a config file or a `--set` override: what is wrong, where, and how to fix it.
///
/// `description` is the message for the user, in compiler style:
/// `configs/x.yaml:7:3: unknown key 'train.epoch' — did you mean 'train.epochs'? valid keys in 'train': ...`.
/// The CLI prints it and exits with status 2 (user error).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// The class of problem, for callers that react differently (tests, tooling).
    public enum Kind: String, Sendable {
        /// The config file does not exist or cannot be read.
        case missingFile
        /// The file is not valid YAML.
        case syntax
        /// The top level of the file is a list or a single value instead of `key: value` lines.
        case notAMapping
        /// A key that the schema does not know (often a typo).
        case unknownKey
        /// The same key appears twice in one section.
        case duplicateKey
        /// A value of the wrong YAML type (text where a number belongs, a list where a section belongs).
        case wrongType
        /// A value of the right type outside its allowed range or set of choices.
        case invalidValue
        /// A `--set key=value` argument that cannot be parsed or applied.
        case badOverride
    }

    /// The class of problem.
    public let kind: Kind
    /// The config file (or `<config>` for a config built in code).
    public internal(set) var source: String
    /// Where in the tree the problem is, when it concerns one value.
    var path: ConfigKeyPath?
    /// The 1-based line of the offending value in the file, when known.
    public internal(set) var line: Int?
    /// The 1-based column of the offending value in the file, when known.
    public internal(set) var column: Int?
    /// The `--set key=value` argument that introduced the bad value, if one did.
    public internal(set) var override: String?
    /// What is wrong and how to fix it, naming the dotted key; without the file location.
    public let message: String

    /// The dotted key the problem concerns (`train.batch_size`), if any.
    public var key: String? { path?.description }

    /// The full message: location, then the override that caused it (if any), then the problem.
    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        if let override {
            return "\(location): --set \(override): \(message)"
        }
        return "\(location): \(message)"
    }

    /// An error not yet tied to a file; `ConfigLoader` fills in the source and the position.
    init(_ kind: Kind, at path: ConfigKeyPath?, _ message: String, source: String = "<config>") {
        self.kind = kind
        self.path = path
        self.message = message
        self.source = source
    }
}
