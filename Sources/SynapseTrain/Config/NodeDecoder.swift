import Yams

/// A strict `Decoder` that reads Codable types from a composed YAML tree (`Yams.Node`).
///
/// Why not `YAMLDecoder`: it ignores unknown keys (a typo like `epoch:` would silently train with
/// the default), and its errors do not say which value was wrong. This decoder is strict:
/// - a mapping read through a `CaseIterable` `CodingKeys` enum may hold only those keys
///   (checked at every nesting level), and no key twice;
/// - numbers and booleans must be plain (unquoted) scalars of the right form;
/// - a `String`-backed `CaseIterable` enum must hold one of its raw values, and the error lists them.
/// Every error is a `ConfigError` carrying the key path of the bad value; `ConfigLoader` adds the
/// file name and line.
struct NodeDecoder: Decoder {
    /// The node this decoder reads.
    let node: Node
    /// Where `node` sits in the tree.
    let path: ConfigKeyPath
    /// The default config as a tree, to point a misplaced key to the section it belongs in.
    let schema: Node?

    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: Node, schema: Node? = nil, codingPath: [any CodingKey] = []) {
        self.node = node
        self.schema = schema
        self.codingPath = codingPath
        path = ConfigKeyPath(codingPath)
    }

    /// A decoder for a child node one step below this one.
    func child(_ node: Node, key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, schema: schema, codingPath: codingPath + [key])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw wrongType(expected: "a section of 'key: value' lines")
        }
        try checkKeys(of: mapping, against: Key.self)
        return KeyedDecodingContainer(NodeKeyedContainer<Key>(decoder: self, mapping: mapping))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw wrongType(expected: "a list such as [1, 2]")
        }
        return NodeUnkeyedContainer(decoder: self, elements: Array(sequence))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: - Strict key check

    /// Rejects duplicate keys, and keys outside `Key` when `Key` lists its cases.
    private func checkKeys<Key: CodingKey>(of mapping: Node.Mapping, against _: Key.Type) throws {
        let known = Self.caseNames(of: Key.self)
        var seen: Set<String> = []
        for (keyNode, _) in mapping {
            let name = keyNode.scalar?.string ?? "\(keyNode)"
            let keyPath = path.appending(name)
            if !seen.insert(name).inserted {
                throw ConfigError(.duplicateKey, at: keyPath,
                                  "key '\(keyPath)' appears twice; keep only one of them")
            }
            if let known, !known.contains(name) {
                throw ConfigError(.unknownKey, at: keyPath,
                                  KeySuggestion.unknownKeyMessage(keyPath, validKeys: known, schema: schema))
            }
        }
    }

    /// The raw names of a `CaseIterable` coding-key enum, or nil for open key sets (dictionaries).
    private static func caseNames<Key: CodingKey>(of _: Key.Type) -> [String]? {
        guard let iterable = Key.self as? any CaseIterable.Type else { return nil }
        return names(of: iterable)
    }

    private static func names<Cases: CaseIterable>(of _: Cases.Type) -> [String] {
        Cases.allCases.compactMap { ($0 as? any CodingKey)?.stringValue }
    }

    // MARK: - Errors

    /// A wrong-type error for this node: "train.batch_size: expected an integer, got 'sixty'".
    func wrongType(expected: String, hint: String = "") -> ConfigError {
        ConfigError(.wrongType, at: path, "\(path): expected \(expected), got \(Self.describe(node))\(hint)")
    }

    /// A short rendering of a node for error messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return quoted ? "the quoted text '\(scalar.string)'" : "'\(scalar.string)'"
        case .sequence(let sequence):
            return "a list of \(sequence.count) item\(sequence.count == 1 ? "" : "s")"
        case .mapping(let mapping):
            let keys = mapping.keys.map { $0.scalar?.string ?? "?" }.joined(separator: ", ")
            return "a section with keys \(keys)"
        }
    }
}

// MARK: - Single values

extension NodeDecoder: SingleValueDecodingContainer {
    /// True for YAML's null: an empty value, `~` or `null`. Quoted text is never null.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func decodeNil() -> Bool { Self.isNull(node) }

    /// Decodes primitives by hand (strictly), checks string enums, and lets other types decode themselves.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return try text() as! T }
        if T.self == Bool.self { return try boolean() as! T }
        if T.self == Float.self { return try number(Float.self) as! T }
        if T.self == Double.self { return try number(Double.self) as! T }
        if let integerType = T.self as? any FixedWidthInteger.Type { return try integer(integerType) as! T }
        if let enumType = T.self as? any (CaseIterable & RawRepresentable<String>).Type {
            try checkEnumValue(enumType)
        }
        return try T(from: self)
    }

    private func text() throws -> String {
        guard case .scalar(let scalar) = node else { throw wrongType(expected: "text") }
        return scalar.string
    }

    /// The scalar's text if it is a plain (unquoted) scalar; quoted numbers are a type error.
    private func plainScalar(expected: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw wrongType(expected: expected) }
        guard scalar.style == .plain || scalar.style == .any else {
            throw wrongType(expected: expected, hint: "; remove the quotes")
        }
        return scalar.string
    }

    private func boolean() throws -> Bool {
        let text = try plainScalar(expected: "true or false")
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: throw wrongType(expected: "true or false")
        }
    }

    /// Whole numbers; `60_000` is allowed for readability (YAML 1.1).
    private func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        let expected = I.isSigned ? "an integer" : "a non-negative integer"
        let text = try plainScalar(expected: expected).replacingOccurrences(of: "_", with: "")
        guard let value = I(text, radix: 10) else {
            let digits = text.drop { $0 == "-" || $0 == "+" }
            let isWholeNumber = !digits.isEmpty && digits.allSatisfy { ("0"..."9").contains($0) }
            throw wrongType(expected: expected, hint: isWholeNumber ? " (out of range)" : "")
        }
        return value
    }

    /// Finite decimal numbers: `0.01`, `1e-3`, `5`. `.inf` and `.nan` are rejected.
    private func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_: F.Type) throws -> F {
        let text = try plainScalar(expected: "a number").replacingOccurrences(of: "_", with: "")
        guard let value = F(text) else { throw wrongType(expected: "a number") }
        guard value.isFinite else { throw wrongType(expected: "a finite number") }
        return value
    }

    private func checkEnumValue<E: CaseIterable & RawRepresentable<String>>(_: E.Type) throws {
        let allowed = E.allCases.map(\.rawValue)
        let text = try plainScalar(expected: "one of " + allowed.joined(separator: ", "))
        guard E(rawValue: text) != nil else {
            throw ConfigError(.invalidValue, at: path,
                              "\(path): unknown value '\(text)'; choose one of: \(allowed.joined(separator: ", "))")
        }
    }
}

// MARK: - Containers

/// Reads the values of one YAML mapping by key.
private struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let mapping: Node.Mapping

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { mapping.keys.compactMap { $0.scalar.flatMap { Key(stringValue: $0.string) } } }

    func contains(_ key: Key) -> Bool { value(for: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        try childDecoder(for: key).decodeNil()
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try childDecoder(for: key).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(for: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(for: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { try childDecoder(for: key) }

    private func value(for key: Key) -> Node? {
        mapping.first { $0.key.scalar?.string == key.stringValue }?.value
    }

    private func childDecoder(for key: Key) throws -> NodeDecoder {
        guard let node = value(for: key) else {
            // Not reached from `ConfigLoader`, which lays the tree over the defaults (`Config.decode`).
            throw ConfigError(.invalidValue, at: decoder.path.appending(key.stringValue),
                              "missing required key '\(decoder.path.appending(key.stringValue))'")
        }
        return decoder.child(node, key: key)
    }
}

/// Reads the elements of one YAML sequence in order.
private struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let elements: [Node]
    var currentIndex = 0

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func decodeNil() throws -> Bool {
        let isNil = try nextDecoder().decodeNil()
        if isNil { currentIndex += 1 }
        return isNil
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try nextDecoder().decode(type)
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey> {
        let container = try nextDecoder().container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try nextDecoder().unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = try nextDecoder()
        currentIndex += 1
        return decoder
    }

    private func nextDecoder() throws -> NodeDecoder {
        guard !isAtEnd else {
            throw ConfigError(.wrongType, at: decoder.path,
                              "\(decoder.path): the list has only \(elements.count) items")
        }
        return decoder.child(elements[currentIndex], key: AnyCodingKey(intValue: currentIndex))
    }
}
