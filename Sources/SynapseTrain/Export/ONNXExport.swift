import Foundation
import SynapseComm
import SynapseCore
import SynapseData
import SynapseNN

/// `synapse export CHECKPOINT --onnx FILE.onnx`: a trained model as an ONNX file (opset 17)
/// that ONNX Runtime and other runtimes run without synapse.
///
/// What is written is what `synapse eval` scores: the moving average of the weights if the run
/// kept one (`train.ema_decay`), in evaluation mode (no dropout; batch norm with its running
/// statistics). Image models read raw pixel values and normalize them in the graph; text models
/// read token ids. Both give `logits` and their softmax, `probabilities`. The details, layer by
/// layer, are in docs/onnx.md.
public enum ONNXExport {
    /// The batch dimension of the graph's input and outputs.
    public enum BatchSize: Equatable, Sendable, CustomStringConvertible {
        /// Any batch, chosen per call (the symbolic dimension `batch`).
        case dynamic
        /// Exactly this many samples per call.
        case fixed(Int)

        /// Parses `dynamic` or a positive integer; nil for anything else.
        public init?(argument: String) {
            if argument == "dynamic" { self = .dynamic; return }
            guard let n = Int(argument), n >= 1 else { return nil }
            self = .fixed(n)
        }

        /// `dynamic`, or the number of samples.
        public var description: String {
            switch self {
            case .dynamic: "dynamic"
            case .fixed(let n): String(n)
            }
        }

        var dimension: ONNX.Dimension {
            switch self {
            case .dynamic: .symbolic("batch")
            case .fixed(let n): .fixed(n)
            }
        }
    }

    /// What the model reads.
    enum Input {
        /// Images [N, C, H, W] of raw pixel values 0–255, normalized in the graph; `flat` models
        /// (MLPs) get them flattened to [N, C·H·W].
        case images(shape: [Int], normalization: Normalization, flat: Bool)
        /// Token ids [B, T].
        case tokens
    }

    /// What `export` wrote.
    public struct Summary: Sendable {
        /// The file.
        public var path: String
        /// Its size in bytes.
        public var bytes: Int
        /// `model.kind` of the run (mlp, cnn, lstm, gru, rnn, transformer).
        public var family: String
        /// The checkpoint read (never the `latest` link).
        public var checkpoint: String
        /// Whether the weights are the run's moving average.
        public var movingAverage: Bool
        /// One line per graph input and output: name, element type, shape.
        public var signature: [String]
    }

    /// Writes the model of `checkpoint` (a checkpoint directory, its `latest` link or a run
    /// directory) to `path`, atomically: a reader sees the old file or the whole new one,
    /// and nothing is written when the export fails. Image models need their data (the input
    /// normalization is fitted on the training images); `dataPath` overrides where the
    /// checkpoint's config says it is. Text models need only the checkpoint.
    /// - Throws: `CheckpointError`/`UserError` for a bad checkpoint or a layer with no ONNX
    ///   form (exit status 2), `FileOperationError` when the file cannot be written.
    public static func export(checkpoint: String, to path: String, batch: BatchSize, dataPath: String?) throws -> Summary {
        let loaded = try CheckpointStore.load(path: checkpoint)
        guard let yaml = loaded.files["config.yaml"] else {
            throw UserError("checkpoint \(loaded.path) has no config.yaml; it was not written by `synapse train`")
        }
        let config = try ConfigLoader.parse(yaml: String(decoding: yaml, as: UTF8.self), source: loaded.path + "/config.yaml",
                                            overrides: dataPath.map { ["data.path=\($0)"] } ?? [])
        let replica: Replica, input: Input, classes: Int
        var metadata: [(key: String, value: String)] = [
            ("synapse.model", config.model.kind.rawValue), ("synapse.checkpoint", loaded.path),
            ("synapse.step", String(loaded.state.step)),
        ]
        if config.data.dataset == .text {
            guard let json = loaded.files["tokenizer.json"] else {
                throw UserError("checkpoint \(loaded.path) of a text model has no tokenizer.json; it was not written by `synapse train`")
            }
            let tokenizer = try JSONDecoder().decode(TextTokenizer.self, from: json)
            replica = try Replica(config: config, inputShape: [], classCount: tokenizer.count, comm: LocalCommunicator())
            try TrainedModel.readWeights(of: loaded, into: replica)
            (input, classes) = (.tokens, tokenizer.count)
            metadata.append(("synapse.input", "tokens: int64 [batch, sequence] token ids of the tokenizer in synapse.tokenizer"
                             + (config.model.kind == .transformer ? "; sequence at most \(config.model.context)" : "")))
            metadata.append(("synapse.tokenizer", String(decoding: json, as: UTF8.self)))
        } else {
            let trained = try TrainedModel(loaded, overrides: dataPath.map { ["data.path=\($0)"] } ?? [], comm: LocalCommunicator())
            let data = trained.data
            replica = trained.replica
            (input, classes) = (.images(shape: data.imageShape, normalization: data.normalization, flat: data.layout == .flat),
                                data.classCount)
            metadata.append(("synapse.input", "image: float32 [batch, \(data.imageShape.map(String.init).joined(separator: ", "))] "
                             + "raw pixel values 0-255; the graph computes (x / 255 - mean) / std"))
            metadata.append(("synapse.normalization.mean", String(describing: data.normalization.mean)))
            metadata.append(("synapse.normalization.std", String(describing: data.normalization.std)))
            let names = (try? JSONSerialization.data(withJSONObject: data.classNames, options: .withoutEscapingSlashes)).map { String(decoding: $0, as: UTF8.self) }
            metadata.append(("synapse.classes", names ?? "[]"))
        }
        let average = replica.ema.map { "moving average of the weights (train.ema_decay \($0.decay))" }
        metadata.append(("synapse.weights", average ?? "the trained weights"))
        metadata.append(("synapse.config", String(decoding: yaml, as: UTF8.self)))
        replica.model.eval()
        let model = try replica.withEvaluatedWeights {
            try Self.model(of: replica.model, input: input, classes: classes, batch: batch, metadata: metadata,
                           name: config.name)
        }
        let bytes = model.serialized()
        try AtomicFile.write(Data(bytes), to: path)
        return Summary(path: path, bytes: bytes.count, family: config.model.kind.rawValue, checkpoint: loaded.path,
                       movingAverage: replica.ema != nil,
                       signature: (model.graph.inputs + model.graph.outputs).map(Self.describe))
    }

    /// The ONNX model of `module` (in evaluation mode, holding the weights to export), reading
    /// `input` and giving `logits` and `probabilities` over `classes`.
    /// - Throws: `UserError` for a layer with no ONNX form.
    static func model(of module: Module, input: Input, classes: Int, batch: BatchSize,
                      metadata: [(key: String, value: String)], name: String) throws -> ONNX.Model {
        var writer = ONNXLayerWriter()
        writer.graph.reserve("image")
        writer.graph.reserve("tokens")
        let inputInfo: ONNX.ValueInfo, outputShape: [ONNX.Dimension]
        let logits: String
        switch input {
        case .images(let shape, let normalization, let flat):
            inputInfo = ONNX.ValueInfo(name: "image", elementType: .float, shape: [batch.dimension] + shape.map { .fixed($0) })
            // The same Float operations, in the same order, as `Normalization.lookupTable`.
            let (byteRange, mean, std) = (writer.graph.scalar(255), writer.graph.scalar(normalization.mean),
                                          writer.graph.scalar(normalization.std))
            let unit = writer.graph.node("Div", ["image", byteRange], name: "input.unit")
            let centered = writer.graph.node("Sub", [unit, mean], name: "input.centered")
            var x = ONNXValue(name: writer.graph.node("Div", [centered, std], name: "input.normalized"), rank: 1 + shape.count)
            if flat {
                x = ONNXValue(name: writer.graph.node("Flatten", [x.name], name: "input.flat", [.init("axis", .int(1))]), rank: 2)
            }
            let y = try writer.write(module, path: "", input: x)
            logits = writer.graph.node("Identity", [y.name], name: "logits")
            outputShape = [batch.dimension, .fixed(classes)]
        case .tokens:
            inputInfo = ONNX.ValueInfo(name: "tokens", elementType: .int64, shape: [batch.dimension, .symbolic("sequence")])
            let rows = try writer.write(module, path: "", input: ONNXValue(name: "tokens", rank: 2))   // [B·T, V]
            let shape = writer.graph.node("Shape", ["tokens"], name: "tokens_shape")
            let target = writer.graph.node("Concat", [shape, writer.graph.int64s([classes])], name: "logits_shape",
                                           [.init("axis", .int(0))])
            logits = writer.graph.node("Reshape", [rows.name, target], name: "logits")                 // [B, T, V]
            outputShape = [batch.dimension, .symbolic("sequence"), .fixed(classes)]
        }
        let probabilities = writer.graph.node("Softmax", [logits], name: "probabilities", [.init("axis", .int(-1))])
        precondition(logits == "logits" && probabilities == "probabilities", "ONNX export: a layer took an output's name")
        let outputs = ["logits", "probabilities"].map { ONNX.ValueInfo(name: $0, elementType: .float, shape: outputShape) }
        let graph = ONNX.Graph(name: name, docString: "", nodes: writer.graph.nodes, initializers: writer.graph.initializers,
                               inputs: [inputInfo], outputs: outputs)
        return ONNX.Model(graph: graph, docString: "\(name): exported by synapse export --onnx (docs/onnx.md)",
                          metadata: metadata)
    }

    /// `name: float32 [batch, 1, 28, 28]`.
    static func describe(_ info: ONNX.ValueInfo) -> String {
        let dims = info.shape.map { d -> String in
            switch d {
            case .fixed(let n): String(n)
            case .symbolic(let s): s
            }
        }
        return "\(info.name): \(info.elementType == .float ? "float32" : "int64") [\(dims.joined(separator: ", "))]"
    }
}
