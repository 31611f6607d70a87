import Yams

/// Turns the parse errors of Yams (libyaml) into messages with a line, a column and the offending line.
enum YAMLSyntax {
    /// libyaml's description of the problem, with its context ("while parsing a block mapping").
    static func problem(of error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "\(error)" }
        switch yamlError {
        case .scanner(let context, let problem, _, _),
             .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            guard let context else { return problem }
            return "\(problem) (\(context.text) started at line \(context.mark.line), column \(context.mark.column))"
        case .reader(let problem, let offset, _, _):
            return offset.map { "\(problem) at character \($0)" } ?? problem
        default:
            return "\(yamlError)"
        }
    }

    /// Where the problem is, when libyaml says.
    static func mark(of error: any Error) -> Mark? {
        switch error as? YamlError {
        case .scanner(_, _, let mark, _)?, .parser(_, _, let mark, _)?, .composer(_, _, let mark, _)?:
            return mark
        default:
            return nil
        }
    }

    /// A `.syntax` error for `source`, showing the offending line with a caret under the column.
    static func configError(_ error: any Error, yaml: String, source: String) -> ConfigError {
        var message = "YAML syntax error: \(problem(of: error)). Check the indentation (spaces, not tabs) "
            + "and that every 'key: value' has a space after the colon."
        var result: ConfigError
        if let mark = mark(of: error) {
            message += "\n" + mark.snippet(from: yaml)
            result = ConfigError(.syntax, at: nil, message, source: source)
            result.line = mark.line
            result.column = mark.column
        } else {
            result = ConfigError(.syntax, at: nil, message, source: source)
        }
        return result
    }
}
