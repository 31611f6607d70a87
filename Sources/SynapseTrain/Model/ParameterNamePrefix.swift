/// A name prefix from the config (`train.freeze`, `model.init_skip`) that selects tensors of the
/// model by their names in model.safetensors.
///
/// A prefix matches whole dotted components, as `Module.freeze(prefix:)` does: `conv1` selects
/// `conv1.weight` and `conv1.bias` but not `conv1_2.weight`; `fc2.bias` selects that one tensor;
/// `res1_1` selects every tensor of that residual block.
struct ParameterNamePrefix {
    /// The prefix as written in the config.
    let text: String

    /// Whether `name` is `text` itself or lies under it.
    func matches(_ name: String) -> Bool {
        name == text || name.hasPrefix(text + ".")
    }

    /// Checks that every prefix of `prefixes` (the config key `key`, e.g. `train.freeze`)
    /// selects at least one of `names`; a prefix that selects nothing is a typo or names a layer
    /// of another model, so it throws a `UserError` that lists the model's layers.
    static func requireMatches(_ prefixes: [String], key: String, in names: [String]) throws {
        for (i, text) in prefixes.enumerated() where !names.contains(where: ParameterNamePrefix(text: text).matches) {
            throw UserError("\(key)[\(i)]: '\(text)' matches no parameter of this model; its layers are "
                            + layers(of: names).joined(separator: ", ")
                            + " (a prefix names a whole layer, e.g. \(layers(of: names).first ?? "fc1"), or one tensor, "
                            + "e.g. \(names.first ?? "fc1.weight"); see the names in model.safetensors)")
        }
    }

    /// The layers the tensors `names` belong to (each name without its last component), in
    /// order and without repeats: `conv1.weight, conv1.bias, fc1.weight` → `conv1, fc1`.
    static func layers(of names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.compactMap { name in
            let layer = name.split(separator: ".").dropLast().joined(separator: ".")
            let shown = layer.isEmpty ? name : layer
            return seen.insert(shown).inserted ? shown : nil
        }
    }
}
