import Foundation
import Yams

/// Reads a config file, applies `--set` overrides, decodes strictly and validates.
///
/// The steps, each with its own error class (see `ConfigError.Kind`):
/// 1. read the file (`missingFile`);
/// 2. check the text's size and nesting (`YAMLLimits`, `syntax`), then compose the YAML into
///    a `Yams.Node` tree (`syntax`, `notAMapping`);
/// 3. apply each `key=value` override to the tree (`badOverride`), so overrides are checked
///    exactly like values written in the file;
/// 4. lay the tree over the defaults and decode it with `NodeDecoder` (`Config.decode(_:)`:
///    `unknownKey`, `duplicateKey`, `wrongType`, `invalidValue`);
/// 5. `Config.validate()` (`invalidValue`).
/// Every error names the file, the dotted key, the line (or the `--set` argument) and a fix.
public enum ConfigLoader {
    /// Loads the config at `path`, with `overrides` of the form `train.epochs=3` applied in order.
    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> Config {
        try parse(yaml: readFile(path), source: path, overrides: overrides)
    }

    /// Parses config text; `source` names it in error messages (a file path, or `<string>`).
    public static func parse(yaml: String, source: String = "<string>",
                             overrides: [String] = []) throws(ConfigError) -> Config {
        var parsedOverrides: [ConfigOverride] = []
        for argument in overrides {
            do {
                parsedOverrides.append(try ConfigOverride(parsing: argument))
            } catch {
                var located = error
                located.source = source
                throw located
            }
        }

        if let violation = YAMLLimits.violation(in: yaml) {
            var error = ConfigError(.syntax, at: nil, violation.message, source: source)
            error.line = violation.line
            throw error
        }
        var tree: Node
        do {
            tree = try Yams.compose(yaml: yaml) ?? Node.Mapping([]).asNode
        } catch {
            throw YAMLSyntax.configError(error, yaml: yaml, source: source)
        }
        if NodeDecoder.isNull(tree) { tree = Node.Mapping([]).asNode }
        guard case .mapping = tree else {
            var error = ConfigError(.notAMapping, at: nil,
                                    "the top level must be 'key: value' lines (sections name, model, data, train, "
                                    + "optimizer), got \(NodeDecoder.describe(tree))", source: source)
            error.line = tree.mark?.line
            error.column = tree.mark?.column
            throw error
        }

        for override in parsedOverrides {
            do {
                tree = try override.apply(to: tree)
            } catch {
                var located = error
                located.source = source
                throw located
            }
        }

        do {
            let config = try Config.decode(tree)
            try config.validate()
            return config
        } catch {
            throw locate(error, source: source, tree: tree, overrides: parsedOverrides)
        }
    }

    /// Adds the file, the line, or the override responsible, to an error raised while decoding.
    private static func locate(_ error: any Error, source: String, tree: Node,
                               overrides: [ConfigOverride]) -> ConfigError {
        var located: ConfigError
        switch error {
        case let configError as ConfigError:
            located = configError
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context):
            let path = ConfigKeyPath(context.codingPath)
            located = ConfigError(.invalidValue, at: path, "\(path): \(context.debugDescription)")
        default:
            located = ConfigError(.invalidValue, at: nil, "\(error)")
        }
        located.source = source
        guard let path = located.path else { return located }
        // A value inside an overridden key is the override's doing; otherwise point at the file,
        // unless the key is not in the file and an override below it created it.
        if let override = overrides.last(where: { path.isInside($0.path) }) {
            located.override = override.argument
        } else if let mark = path.node(in: tree)?.mark {
            located.line = mark.line
            located.column = mark.column
        } else if let override = overrides.last(where: { $0.path.isInside(path) }) {
            located.override = override.argument
        }
        return located
    }

    /// The file's text, or a `missingFile` error that lists the YAML files next to where it was expected.
    private static func readFile(_ path: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let directory = (path as NSString).deletingLastPathComponent
            let nearby = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory))?
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted() ?? []
            var message = "no such config file; check the path"
            if !path.hasPrefix("/") { message += " (relative to \(FileManager.default.currentDirectoryPath))" }
            if !nearby.isEmpty {
                message += "; config files in \(directory.isEmpty ? "." : directory): " + nearby.joined(separator: ", ")
            }
            throw ConfigError(.missingFile, at: nil, message, source: path)
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(.missingFile, at: nil, "is a directory; give the path of a .yaml file", source: path)
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > YAMLLimits.maximumBytes {
            throw ConfigError(.syntax, at: nil, "is \(size) bytes, more than the \(YAMLLimits.maximumBytes)-byte (4 MiB) limit "
                              + "for a config; a config is a few kilobytes: check that this is the right file", source: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(.missingFile, at: nil, "cannot be read; check its permissions", source: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(.syntax, at: nil, "is not UTF-8 text; save it as UTF-8", source: path)
        }
        return text
    }
}

private extension Node.Mapping {
    var asNode: Node { .mapping(self) }
}
