import Yams

/// An `Encoder` that turns Codable values into a YAML tree (`Yams.Node`).
///
/// Why not `YAMLEncoder`: it writes a `Float` 0.01 as `0.0099999997764825821`. Here numbers are
/// written in their shortest form that reads back to the same value (Swift's `description`), keys
/// keep their declaration order, and short lists of numbers use the flow style `[256, 128]`.
enum NodeEncoder {
    /// The tree for `value`.
    static func encode<T: Encodable>(_ value: T) throws -> Node {
        let root = EncodedNode()
        try value.encode(to: NodeEncoding(target: root, codingPath: []))
        return root.node
    }
}

/// A node under construction; containers append children to it after it has been handed out.
private final class EncodedNode {
    enum Content {
        case empty
        case scalar(Node.Scalar)
        case mapping([(key: String, value: EncodedNode)])
        case sequence([EncodedNode])
    }

    var content = Content.empty

    var node: Node {
        switch content {
        case .empty:
            return Node("null", Tag(.null))
        case .scalar(let scalar):
            return .scalar(scalar)
        case .mapping(let pairs):
            let nodePairs = pairs.map { (Node($0.key, Tag(.str)), $0.value.node) }
            return Node(nodePairs, Tag(.map), .block)
        case .sequence(let elements):
            let nodes = elements.map(\.node)
            let allScalars = nodes.allSatisfy { $0.scalar != nil }
            return Node(nodes, Tag(.seq), allScalars ? .flow : .block)
        }
    }

    func appendPair(_ key: String) -> EncodedNode {
        let child = EncodedNode()
        if case .mapping(var pairs) = content {
            pairs.append((key, child))
            content = .mapping(pairs)
        } else {
            content = .mapping([(key, child)])
        }
        return child
    }

    func appendElement() -> EncodedNode {
        let child = EncodedNode()
        if case .sequence(var elements) = content {
            elements.append(child)
            content = .sequence(elements)
        } else {
            content = .sequence([child])
        }
        return child
    }

    var elementCount: Int {
        if case .sequence(let elements) = content { return elements.count }
        return 0
    }
}

/// The encoder handed to `encode(to:)`; also its own single-value container.
private struct NodeEncoding: Encoder, SingleValueEncodingContainer {
    let target: EncodedNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .mapping = target.content {} else { target.content = .mapping([]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(target: target, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .sequence = target.content {} else { target.content = .sequence([]) }
        return UnkeyedContainer(target: target, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws {
        target.content = .empty
    }

    /// Scalars are written by hand; everything else encodes itself through this encoder.
    func encode<T: Encodable>(_ value: T) throws {
        if let text = value as? String {
            // Quote text that a YAML reader would otherwise take for a number, bool or null ("true", "123").
            let readsAsText = Resolver.default.resolveTag(of: Node(text)) == .str
            target.content = .scalar(Node.Scalar(text, Tag(.str), readsAsText ? .any : .doubleQuoted))
        } else if let flag = value as? Bool {
            target.content = .scalar(Node.Scalar(flag ? "true" : "false", Tag(.bool), .plain))
        } else if let number = value as? Float {
            target.content = .scalar(Node.Scalar(yaml11Number(number.description), Tag(.float), .plain))
        } else if let number = value as? Double {
            target.content = .scalar(Node.Scalar(yaml11Number(number.description), Tag(.float), .plain))
        } else if let integer = value as? any FixedWidthInteger {
            target.content = .scalar(Node.Scalar(String(describing: integer), Tag(.int), .plain))
        } else {
            try value.encode(to: self)
        }
    }

    /// Swift's shortest round-trip form, made readable as a float by YAML 1.1 readers (PyYAML),
    /// which need a dot before the exponent: `1e-08` → `1.0e-08`.
    private func yaml11Number(_ text: String) -> String {
        guard let e = text.firstIndex(of: "e"), !text[..<e].contains(".") else { return text }
        return text[..<e] + ".0" + text[e...]
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let target: EncodedNode
        let codingPath: [any CodingKey]

        func encodeNil(forKey key: Key) throws {
            _ = target.appendPair(key.stringValue)
        }

        func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try encoder(for: key).encode(value)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                   forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            encoder(for: key).container(keyedBy: keyType)
        }

        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            encoder(for: key).unkeyedContainer()
        }

        func superEncoder() -> any Encoder { encoder(for: AnyCodingKey(stringValue: "super")) }

        func superEncoder(forKey key: Key) -> any Encoder { encoder(for: key) }

        private func encoder(for key: any CodingKey) -> NodeEncoding {
            NodeEncoding(target: target.appendPair(key.stringValue), codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let target: EncodedNode
        let codingPath: [any CodingKey]
        var count: Int { target.elementCount }

        func encodeNil() throws {
            _ = target.appendElement()
        }

        func encode<T: Encodable>(_ value: T) throws {
            try nextEncoder().encode(value)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey> {
            nextEncoder().container(keyedBy: keyType)
        }

        func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            nextEncoder().unkeyedContainer()
        }

        func superEncoder() -> any Encoder { nextEncoder() }

        private func nextEncoder() -> NodeEncoding {
            let key = AnyCodingKey(intValue: count)
            return NodeEncoding(target: target.appendElement(), codingPath: codingPath + [key])
        }
    }
}
