import Yams

/// A complete training run description, read from a YAML file by `ConfigLoader`.
///
/// YAML keys are snake_case (`batch_size`); properties are camelCase (`batchSize`). Every key
/// has a default, so an empty file is a valid config. A key's default is written once, as its
/// property's initial value (or, where it depends on another key, in the section's `init`);
/// `ConfigLoader` lays the file over the defaults before decoding (see `Config+Defaults.swift`).
/// The reference for the format is `docs/configuration.md` (every key, checked against
/// `Config.keyReference()` by `ConfigReferenceTests`); `configs/fashion-mlp.yaml` comments the common keys.
///
/// ```yaml
/// name: fashion-mlp
/// model: { hidden: [256, 128], dropout: 0.1 }
/// train: { epochs: 15, batch_size: 64 }
/// optimizer: { name: sgd, lr: 0.05, momentum: 0.9, nesterov: true }
/// ```
public struct Config: Codable, Equatable, Sendable {
    /// Run name (`name`); the run directory defaults to `runs/<name>`. Default `run`.
    public var name: String
    /// The network (`model`).
    public var model = ModelConfig()
    /// The dataset and its split (`data`).
    public var data = DataConfig()
    /// Training loop settings (`train`).
    public var train = TrainConfig()
    /// Optimizer and hyperparameters (`optimizer`).
    public var optimizer = OptimizerConfig()

    /// The default config, named `name`; change it through its properties.
    ///
    /// The sections' own initializers are the synthesized memberwise ones (internal): outside
    /// this module a config starts here or from `ConfigLoader`.
    public init(name: String = "run") {
        self.name = name
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, model, data, train, optimizer
    }

    /// The default run directory, `runs/<name>`.
    public var runDirectory: String { "runs/\(name)" }

    /// The config as a YAML tree with every key present.
    func resolvedNode() -> Node {
        do {
            return try NodeEncoder.encode(self)
        } catch {
            preconditionFailure("Config: encoding plain values cannot fail, but did: \(error)")
        }
    }

    /// The full config with every default filled in, as YAML; the trainer writes it to
    /// `RUN_DIR/config.yaml`. Loading this text gives back an equal `Config`.
    public func resolvedYAML() -> String {
        do {
            return try Yams.serialize(node: resolvedNode(), width: -1)
        } catch {
            preconditionFailure("Config: emitting a YAML tree built in code cannot fail, but did: \(error)")
        }
    }

    /// A 64-bit FNV-1a hash of `resolvedYAML()` without the keys in `keysOutsideHash`. Ranks
    /// compare it at start (rank 0 broadcasts its hash) and checkpoints store it, so two configs
    /// that train differently never share a hash. Stable across processes and machines running
    /// the same build (unlike `Hasher`, which is seeded per process).
    public var hash: UInt64 {
        var node = resolvedNode()
        for path in Self.keysOutsideHash { node = node.removing(path[...]) }
        for key in Self.keysHashedAwayFromDefault where key.isDefault(self) { node = node.removing(key.path[...]) }
        do {
            return FNV1a.hash64(try Yams.serialize(node: node, width: -1).utf8)
        } catch {
            preconditionFailure("Config: emitting a YAML tree built in code cannot fail, but did: \(error)")
        }
    }

    /// Keys that change what a run writes but not how it trains, left out of `hash`: a resume
    /// with a different value is the same run, and adding such a key leaves every existing
    /// config's hash (and the checkpoints that store it) as it was.
    static let keysOutsideHash: [[String]] = [
        ["train", "tensorboard"],
        ["train", "overlap"], ["train", "bucket_mb"], ["train", "collective_timeout"], ["train", "gradient_exchange"],
    ]

    /// Keys that DO change how a run trains but were added after configs and checkpoints
    /// existed: hashed only when set away from their default, so a config that leaves such a
    /// key alone keeps the hash it had before the key existed (and its checkpoints still
    /// resume), while one that sets it trains differently and hashes differently. A new key of
    /// that kind adds a line here with the test of "at its default".
    static let keysHashedAwayFromDefault: [(path: [String], isDefault: @Sendable (Config) -> Bool)] = [
        (["train", "accumulate_steps"], { $0.train.accumulateSteps == 1 }),
    ]

    /// `hash` as 16 lowercase hex digits, for logs and JSON.
    public var hashHex: String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// The Fowler–Noll–Vo FNV-1a hash (64-bit): for each byte, xor then multiply by the FNV prime.
/// Reference: http://www.isthe.com/chongo/tech/comp/fnv/ (offset basis and prime from there).
enum FNV1a {
    static func hash64<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

extension Node {
    /// This tree without the key at `path` (section names, then the key); unchanged when absent.
    func removing(_ path: ArraySlice<String>) -> Node {
        guard let first = path.first, case .mapping(let mapping) = self else { return self }
        var pairs: [(Node, Node)] = []
        for (key, value) in mapping {
            guard key.scalar?.string == first else { pairs.append((key, value)); continue }
            if path.count > 1 { pairs.append((key, value.removing(path.dropFirst()))) }
        }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }
}
