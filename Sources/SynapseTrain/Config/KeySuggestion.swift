import Yams

/// "Did you mean ...?" for unknown config keys.
///
/// Two hints, tried in order: a valid key of the same section within a small edit distance
/// (`epoch` → `epochs`), or the same key in another section (`train.lr` → `optimizer.lr`).
enum KeySuggestion {
    /// The message for an unknown key: the key, a suggestion if one is close, and the valid keys.
    /// - Parameters:
    ///   - path: the unknown key's full path.
    ///   - validKeys: the keys its section accepts.
    ///   - schema: the default config as a tree, searched for the same key in other sections.
    static func unknownKeyMessage(_ path: ConfigKeyPath, validKeys: [String], schema: Node?) -> String {
        let name = path.lastKey ?? path.description
        var message = "unknown key '\(path)'"
        if let close = closest(to: name, among: validKeys) {
            message += " — did you mean '\(path.parent.appending(close))'? "
        } else if let schema, let elsewhere = sections(of: schema, containing: name).first {
            message += " — '\(name)' belongs in '\(elsewhere.parent)': write it as '\(elsewhere)'; "
        } else {
            message += "; "
        }
        let section = path.parent.components.isEmpty ? "valid top-level keys" : "valid keys in '\(path.parent)'"
        return message + "\(section): " + validKeys.joined(separator: ", ")
    }

    /// The candidate nearest to `name` by edit distance, if near enough to be a likely typo
    /// (at most 1 edit for short names, up to a third of the length for long ones).
    static func closest(to name: String, among candidates: [String]) -> String? {
        let limit = max(1, name.count / 3)
        let scored = candidates.map { (candidate: $0, distance: editDistance(name, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= limit else { return nil }
        return best.candidate
    }

    /// Edit distance counting single-character insertions, deletions, substitutions and swaps of
    /// two neighbours (optimal string alignment, a restricted Damerau–Levenshtein distance), so
    /// `nmae` is one edit from `name`. `d[i][j]` is the distance between the first i characters
    /// of `a` and the first j of `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }

    /// Every path in `tree` whose last key is `name`, outermost first.
    static func sections(of tree: Node, containing name: String,
                         under prefix: ConfigKeyPath = .root) -> [ConfigKeyPath] {
        guard case .mapping(let mapping) = tree else { return [] }
        var found: [ConfigKeyPath] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { continue }
            if key == name { found.append(prefix.appending(key)) }
            found += sections(of: value, containing: name, under: prefix.appending(key))
        }
        return found
    }
}
