import Foundation

/// Everything besides tensors that a resumed run needs to continue exactly where it stopped;
/// stored as pretty-printed `state.json` in each checkpoint directory.
///
/// JSON numbers are IEEE doubles in most readers (Python's `json` excepted), so any `UInt64`
/// that can exceed 2^53 is written as a string: the config hash and RNG states as 16 hex
/// digits (`"9e3779b97f4a7c15"`), the seed as decimal digits (`"42"`) because users type it.
/// Keys are snake_case like the YAML config. Non-finite metrics (a best loss that starts at
/// infinity) are written as the strings `"inf"`, `"-inf"`, `"nan"`.
///
/// Example:
/// ```json
/// { "format_version" : 1, "step" : 1200, "epoch" : 3, "batch_in_epoch" : 17, "world_size" : 2,
///   "config_hash" : "00c0ffee12345678", "seed" : "42",
///   "rng_states" : { "dropout" : ["9e3779b97f4a7c15", "…", "…", "…"] },
///   "metrics" : { "best_val_accuracy" : 0.912 }, "created_at" : "2025-01-01T12:00:00Z",
///   "synapse_version" : "0.1.0",
///   "files" : { "model.safetensors" : { "bytes" : 4096, "crc32" : "1c291ca3" } } }
/// ```
public struct CheckpointState: Codable, Equatable, Sendable {
    /// The newest `format_version` this build writes and reads.
    public static let currentFormatVersion = 1

    /// Size and checksum of one file of the checkpoint, checked before it is loaded.
    public struct FileRecord: Codable, Equatable, Sendable {
        /// Length in bytes.
        public var bytes: Int
        /// CRC-32 of the content (zlib polynomial; `zlib.crc32` in Python gives the same).
        public var crc32: UInt32

        /// A record for a file of `bytes` bytes with checksum `crc32`.
        public init(bytes: Int, crc32: UInt32) {
            self.bytes = bytes
            self.crc32 = crc32
        }

        enum CodingKeys: String, CodingKey { case bytes, crc32 }

        /// Decodes `{"bytes": N, "crc32": "8 hex digits"}`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            bytes = try c.decode(Int.self, forKey: .bytes)
            crc32 = UInt32(try HexUInt64.decode(c, .crc32, maxDigits: 8))
        }

        /// Encodes `{"bytes": N, "crc32": "8 hex digits"}`.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(HexUInt64.text(UInt64(crc32), digits: 8), forKey: .crc32)
        }
    }

    /// Layout version of the checkpoint directory; readers refuse newer versions.
    public var formatVersion: Int
    /// Optimizer steps completed when saved.
    public var step: Int
    /// Epoch in progress (0-based).
    public var epoch: Int
    /// Batches of `epoch` already consumed: the data sampler's position to resume from.
    public var batchInEpoch: Int
    /// Number of ranks of the run that saved it (per-rank batch and data shards depend on it).
    public var worldSize: Int
    /// Hash of the resolved config, to warn when resuming with a different config.
    public var configHash: UInt64
    /// The run's seed.
    public var seed: UInt64
    /// Generator states by purpose (`RandomGenerator.state`, four words each).
    public var rngStates: [String: [UInt64]]
    /// Metric snapshot, e.g. `best_val_loss`, `best_val_accuracy`, `last_train_loss`.
    public var metrics: [String: Double]
    /// When the checkpoint was written (stored to the second, ISO 8601, UTC).
    public var createdAt: Date
    /// Version of Synapse that wrote it.
    public var synapseVersion: String
    /// Size and CRC-32 of every other file in the directory; filled in by `CheckpointStore.save`.
    public var files: [String: FileRecord]

    /// A state for a checkpoint at `step`; `files` is filled in when it is saved.
    public init(step: Int, epoch: Int, batchInEpoch: Int, worldSize: Int, configHash: UInt64, seed: UInt64,
                rngStates: [String: [UInt64]] = [:], metrics: [String: Double] = [:],
                createdAt: Date = Date(), synapseVersion: String = "unknown",
                formatVersion: Int = CheckpointState.currentFormatVersion, files: [String: FileRecord] = [:]) {
        self.formatVersion = formatVersion
        self.step = step
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.worldSize = worldSize
        self.configHash = configHash
        self.seed = seed
        self.rngStates = rngStates
        self.metrics = metrics
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.synapseVersion = synapseVersion
        self.files = files
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", step, epoch, batchInEpoch = "batch_in_epoch"
        case worldSize = "world_size", configHash = "config_hash", seed, rngStates = "rng_states"
        case metrics, createdAt = "created_at", synapseVersion = "synapse_version", files
    }

    /// Decodes the JSON form described on the type (UInt64s from strings).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        step = try c.decode(Int.self, forKey: .step)
        epoch = try c.decode(Int.self, forKey: .epoch)
        batchInEpoch = try c.decode(Int.self, forKey: .batchInEpoch)
        worldSize = try c.decode(Int.self, forKey: .worldSize)
        configHash = try HexUInt64.decode(c, .configHash)
        let seedText = try c.decode(String.self, forKey: .seed)
        guard let seed = UInt64(seedText) else {
            throw DecodingError.dataCorruptedError(forKey: .seed, in: c, debugDescription: "'\(seedText)' is not a decimal UInt64")
        }
        self.seed = seed
        var states: [String: [UInt64]] = [:]
        for (name, words) in try c.decode([String: [String]].self, forKey: .rngStates) {
            states[name] = try words.map { word in
                guard let value = HexUInt64.parse(word, maxDigits: 16) else {
                    throw DecodingError.dataCorruptedError(forKey: .rngStates, in: c, debugDescription: "rng state '\(name)' word '\(word)' is not 1–16 hex digits")
                }
                return value
            }
        }
        rngStates = states
        metrics = try c.decode([String: Double].self, forKey: .metrics)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        synapseVersion = try c.decode(String.self, forKey: .synapseVersion)
        files = try c.decode([String: FileRecord].self, forKey: .files)
    }

    /// Encodes the JSON form described on the type (UInt64s as strings).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(step, forKey: .step)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(batchInEpoch, forKey: .batchInEpoch)
        try c.encode(worldSize, forKey: .worldSize)
        try c.encode(HexUInt64.text(configHash), forKey: .configHash)
        try c.encode(String(seed), forKey: .seed)
        try c.encode(rngStates.mapValues { $0.map { HexUInt64.text($0) } }, forKey: .rngStates)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(synapseVersion, forKey: .synapseVersion)
        try c.encode(files, forKey: .files)
    }

    /// The state as `state.json` bytes (pretty-printed, keys sorted, so diffs are readable).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Decodes `state.json` bytes.
    public static func decode(json: Data) throws -> CheckpointState {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(CheckpointState.self, from: json)
    }
}

/// Fixed-width lowercase hex text for `UInt64`s that JSON doubles cannot hold exactly.
enum HexUInt64 {
    /// `value` as exactly `digits` lowercase hex digits (zero-padded).
    static func text(_ value: UInt64, digits: Int = 16) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - hex.count)) + hex
    }

    /// The value of 1…`maxDigits` hex digits, or nil.
    static func parse(_ text: String, maxDigits: Int = 16) -> UInt64? {
        guard (1...maxDigits).contains(text.count) else { return nil }
        return UInt64(text, radix: 16)
    }

    /// Decodes the hex string at `key`, with a decoding error that names the key.
    static func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, maxDigits: Int = 16) throws -> UInt64 {
        let text = try c.decode(String.self, forKey: key)
        guard let value = parse(text, maxDigits: maxDigits) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(text)' is not 1–\(maxDigits) hex digits")
        }
        return value
    }
}
