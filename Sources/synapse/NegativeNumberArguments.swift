import SynapseTrain

/// Lets a negative number follow an option as its value (`--first -3`, `--temperature -0.5`).
///
/// swift-argument-parser reads any argument that starts with `-` as an option, so `--first -3`
/// fails with "Missing value for '--first <first>'" and the user never learns that -3 itself
/// is the problem. Before parsing, each negative number that directly follows a long option
/// written without `=` is joined to it (`--first=-3`), which the parser reads as the value;
/// the command then checks the number like any other (`--first must be at least 1, got -3`).
///
/// `--set KEY -3` (key and value as two arguments) is refused with the spelling that works,
/// `--set KEY=-3`: guessing which key was meant would be a silent wrong answer.
enum NegativeNumberArguments {
    /// `arguments` (without the program name) with negative numbers joined to their options.
    /// - Throws: `UserError` for `--set KEY NUMBER`.
    static func joined(_ arguments: [String]) throws -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {   // everything after `--` is positional as written
                result += arguments[index...]
                break
            }
            if let previous = result.last, isNegativeNumber(argument), previous.hasPrefix("--"), !previous.contains("=") {
                result[result.count - 1] = previous + "=" + argument
            } else if isNegativeNumber(argument), result.count >= 2, result[result.count - 2] == "--set",
                      let key = result.last, !key.contains("=") {
                throw UserError("--set \(key) \(argument): give the key and its value as one argument, "
                                + "--set \(key)=\(argument)")
            } else {
                result.append(argument)
            }
            index += 1
        }
        return result
    }

    /// Whether `text` is a negative decimal number: `-3`, `-0.5`, `-1e-3`, `-.5`, `-inf` is not.
    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.count >= 2, text.hasPrefix("-"), let value = Double(text.dropFirst()) else { return false }
        let first = text.dropFirst().first!
        return value.isFinite && (first.isNumber || first == ".")
    }
}
