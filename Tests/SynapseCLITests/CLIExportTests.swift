import Foundation
import Testing
import SynapseTestSupport
import SynapseTrain

/// ONNX's own checker and ONNX Runtime on a file `synapse export --onnx` wrote
/// (Reference/check_onnx.py), compared with `synapse predict --json` on the same samples.
enum ONNXChecker {
    /// Whether `python3 -c "import onnxruntime, onnx"` works.
    static let installed: Bool = {
        guard let run = try? ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import onnxruntime, onnx"],
                                               timeout: 120)
        else { return false }
        return run.status == 0
    }()

    static let script = ProcessRunner.packageRoot.appendingPathComponent("Tests/SynapseCLITests/Reference/check_onnx.py").path

    /// The Fashion-MNIST test images the image models' predictions index.
    static let testImages = SynapseCLI.fashionMNISTDirectory + "/t10k-images-idx3-ubyte.gz"

    /// What check_onnx.py printed for `model` and the `predict --json` lines in `predictions`.
    static func check(_ model: String, predictions: String, batch: String, images: String? = nil, dump: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let arguments = ["python3", script, model, predictions, "--batch", batch] + (images.map { ["--images", $0] } ?? [])
            + dump.flatMap { ["--dump", $0] }
        let run = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), arguments, timeout: 300)
        try #require(run.status == 0, "\(run.report)", sourceLocation: sourceLocation)
        let line = try #require(run.stdout.split(separator: "\n").last, "\(run.report)", sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)",
                            sourceLocation: sourceLocation)
    }
}

/// One shipped config's model family, shrunk by overrides to a run of a few seconds.
struct ExportCase: Sendable, CustomTestStringConvertible {
    var name: String
    var config: String
    var overrides: [String]
    /// Operators the graph must use (the family's own).
    var ops: [String]

    var testDescription: String { name }
    var configPath: String { ProcessRunner.packageRoot.appendingPathComponent("configs/\(config).yaml").path }

    /// 600 training images, 100 of them for validation, 64 test images: 2 epochs of 10 steps.
    static let imageRun = ["--set", "data.train_subset=600", "--set", "data.validation_size=100", "--set", "data.test_subset=64",
                           "--set", "train.epochs=2", "--set", "train.batch_size=50", "--set", "train.log_every=10",
                           "--set", "train.tensorboard=false"]
    /// Windows of 16 tokens, 30 steps of 8.
    static let textRun = ["--set", "data.context=16", "--set", "train.batch_size=8", "--set", "train.max_steps=30",
                          "--set", "train.log_every=10", "--set", "train.tensorboard=false", "--set", "train.eval_batch_size=64",
                          "--set", "train.schedule.warmup_steps=5", "--set", "train.max_minutes=0"]

    static let images: [ExportCase] = [
        ExportCase(name: "fashion-mlp", config: "fashion-mlp", overrides: [], ops: ["Gemm", "Relu", "Flatten"]),
        ExportCase(name: "fashion-mlp, leaky_relu", config: "fashion-mlp", overrides: ["--set", "model.activation=leaky_relu"],
                   ops: ["LeakyRelu"]),
        ExportCase(name: "fashion-mlp, sigmoid", config: "fashion-mlp", overrides: ["--set", "model.activation=sigmoid"],
                   ops: ["Sigmoid"]),
        ExportCase(name: "fashion-cnn", config: "fashion-cnn", overrides: ["--set", "model.conv=[4, 8]"],
                   ops: ["Conv", "BatchNormalization", "MaxPool"]),
        ExportCase(name: "fashion-cnn-bn", config: "fashion-cnn-bn", overrides: ["--set", "model.conv=[4, 8]", "--set", "model.hidden=[16]"],
                   ops: ["Conv", "BatchNormalization", "MaxPool", "Gemm"]),
        ExportCase(name: "fashion-cnn, residual, avg pool, gelu", config: "fashion-cnn",
                   overrides: ["--set", "model.conv=[4, 8]", "--set", "model.residual_blocks=1", "--set", "model.pool=avg",
                               "--set", "model.activation=gelu"],
                   ops: ["Add", "AveragePool", "Erf"]),
        ExportCase(name: "fashion-gru", config: "fashion-gru", overrides: ["--set", "model.hidden_size=16"], ops: ["GRU"]),
        ExportCase(name: "fashion-gru as rnn", config: "fashion-gru", overrides: ["--set", "model.kind=rnn", "--set", "model.hidden_size=16"],
                   ops: ["RNN"]),
    ].map { var c = $0; c.overrides = imageRun + c.overrides; return c }

    static let texts: [ExportCase] = [
        ExportCase(name: "text-lstm", config: "text-lstm", overrides: ["--set", "model.hidden_size=16", "--set", "model.embedding=8"],
                   ops: ["LSTM", "Gather"]),
        ExportCase(name: "text-lstm as gru", config: "text-lstm",
                   overrides: ["--set", "model.kind=gru", "--set", "model.hidden_size=16", "--set", "model.embedding=8", "--set", "model.layers=1"],
                   ops: ["GRU"]),
        ExportCase(name: "text-transformer-char", config: "text-transformer-char",
                   overrides: ["--set", "model.width=32", "--set", "model.layers=2", "--set", "model.context=16"],
                   ops: ["LayerNormalization", "MatMul", "Softmax", "Tanh"]),
        ExportCase(name: "text-transformer (byte pairs, dropout)", config: "text-transformer",
                   overrides: ["--set", "model.width=32", "--set", "model.layers=1", "--set", "model.context=16", "--set", "data.vocab_size=300"],
                   ops: ["LayerNormalization", "MatMul"]),
        ExportCase(name: "transformer, sinusoidal, untied, gelu", config: "text-transformer-char",
                   overrides: ["--set", "model.width=32", "--set", "model.layers=1", "--set", "model.context=24",
                               "--set", "model.positions=sinusoidal", "--set", "model.tie_embeddings=false", "--set", "model.activation=gelu"],
                   ops: ["Erf"]),
    ].map { var c = $0; c.overrides = textRun + c.overrides; return c }
}

/// `synapse export --onnx` for every model family the shipped configs train: ONNX's checker
/// accepts the file, and ONNX Runtime computes the logits and probabilities `synapse predict
/// --json` prints for the same samples, within 1e-4, at a dynamic batch and at a fixed one.
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: ONNXChecker.installed, "onnx and onnxruntime are not installed (python3 -m pip install onnx onnxruntime)"))
struct CLIExportTests {
    static let tolerance = 1e-4

    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"),
          arguments: ExportCase.images)
    func imageModelRunsInONNXRuntimeAsInPredict(_ family: ExportCase) throws {
        try expectExportMatchesPredict(family, text: false)
    }

    @Test(arguments: ExportCase.texts)
    func textModelRunsInONNXRuntimeAsInPredict(_ family: ExportCase) throws {
        try expectExportMatchesPredict(family, text: true)
    }

    /// Trains `family`, exports it at a dynamic batch and at batch 3, and checks each file
    /// against predict --json (images: test samples; text: validation windows).
    private func expectExportMatchesPredict(_ family: ExportCase, text: Bool) throws {
        let dir = try TestDirectory("export")
        defer { dir.remove() }
        let run = dir.file("run")
        var overrides = family.overrides
        if text { overrides += ["--set", "data.path=" + (try dir.write(CLITextTests.corpus(), to: "corpus.txt"))] }
        let trained = try SynapseCLI.run(["train", family.configPath, "--run-dir", run] + overrides, timeout: 300)
        try #require(trained.status == 0, "\(trained.report)")

        for (batch, selection) in [("dynamic", ["--first", text ? "2" : "8"]), ("3", ["--samples", "5", "0", "2"])] {
            let file = dir.file("model-\(batch).onnx")
            let export = try SynapseCLI.run(["export", run, "--onnx", file] + (batch == "dynamic" ? [] : ["--batch", batch]))
            try #require(export.status == 0, "\(export.report)")
            #expect(export.stdout.hasPrefix("wrote \(file) ("), "\(export.report)")
            let predict = try SynapseCLI.run(["predict", run, "--json"] + selection)
            try #require(predict.status == 0, "\(predict.report)")
            let lines = predict.stdout.split(separator: "\n")
            let samples = batch == "dynamic" ? (text ? 2 : 8) : 3
            #expect(lines.count == samples * (text ? 16 : 1), "\(predict.report)")
            let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            let keys = ["index", "label", "predicted", "logits", "probabilities"] + (text ? ["position", "token"] : [])
            #expect(Set(first.keys) == Set(keys), "\(first.keys)")

            let report = try ONNXChecker.check(file, predictions: try dir.write(predict.stdout, to: "predictions-\(batch).jsonl"),
                                               batch: batch, images: text ? nil : ONNXChecker.testImages)
            let logits = try #require(report["max_logit_difference"] as? Double)
            let probabilities = try #require(report["max_probability_difference"] as? Double)
            #expect(logits <= Self.tolerance && probabilities <= Self.tolerance,
                    "\(family.name), batch \(batch): ONNX Runtime differs from predict by \(logits) in the logits, \(probabilities) in the probabilities")
            #expect(report["samples"] as? Int == samples)
            #expect((report["opset"] as? [[Any]])?.first?.last as? Int == 17 && report["ir_version"] as? Int == 8, "\(report)")
            let ops = Set(report["ops"] as? [String] ?? [])
            #expect(ops.isSuperset(of: family.ops), "\(family.name): \(ops.sorted()) lacks one of \(family.ops)")
            #expect(!ops.contains("Dropout"), "\(ops)")
            if batch == "dynamic" {
                #expect((report["max_single_sample_difference"] as? Double ?? 1) <= Self.tolerance, "\(report)")
                if text { #expect((report["max_prefix_difference"] as? Double ?? 1) <= Self.tolerance, "\(report)") }
            } else {
                #expect(report["other_batch_refused"] as? Bool == true, "a batch of 4 ran in a batch-3 model: \(report)")
            }
            let metadata = report["metadata"] as? [String: String] ?? [:]
            #expect(metadata["synapse.weights"] == "the trained weights", "\(metadata)")
            if text {
                #expect(metadata["synapse.tokenizer"]?.isEmpty == false)
            } else {
                #expect(Float(metadata["synapse.normalization.std"] ?? "") != nil, "\(metadata)")
                #expect(metadata["synapse.classes"]?.contains("\"T-shirt/top\"") == true, "\(metadata)")
            }
        }
        if text {
            let plain = try SynapseCLI.run(["predict", run])
            expectUserError(plain, mentions: ["text model", "predict --json"])
            let wrong = try SynapseCLI.run(["predict", run, "--json", "--misclassified", "2"])
            expectUserError(wrong, mentions: ["--misclassified"])
        }
    }

    /// A run that keeps a moving average exports the average, not the last weights (and
    /// predict, which ONNX Runtime matches, scores the same average).
    @Test(.enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func theMovingAverageIsExported() throws {
        let dir = try TestDirectory("export-ema")
        defer { dir.remove() }
        let run = dir.file("run")
        let trained = try SynapseCLI.run(["train", SynapseCLI.fashionConfig, "--run-dir", run] + ExportCase.imageRun
                                         + ["--set", "model.hidden=[32]", "--set", "train.ema_decay=0.9"])
        try #require(trained.status == 0, "\(trained.report)")
        let file = dir.file("model.onnx")
        let export = try SynapseCLI.run(["export", run, "--onnx", file])
        try #require(export.status == 0, "\(export.report)")
        #expect(export.stdout.contains("moving average of the weights"), "\(export.report)")
        let predict = try SynapseCLI.run(["predict", run, "--json", "--first", "4"])
        try #require(predict.status == 0, "\(predict.report)")
        let report = try ONNXChecker.check(file, predictions: try dir.write(predict.stdout, to: "p.jsonl"), batch: "dynamic",
                                           images: ONNXChecker.testImages, dump: ["fc1.bias", "fc2.weight"])
        #expect((report["max_logit_difference"] as? Double ?? 1) <= Self.tolerance, "\(report)")
        #expect((report["metadata"] as? [String: String])?["synapse.weights"] == "moving average of the weights (train.ema_decay 0.9)")

        let checkpoint = run + "/checkpoints/latest/"
        let average = try tensorBits(checkpoint + "ema.safetensors"), live = try tensorBits(checkpoint + "model.safetensors")
        let dumps = try #require(report["dumps"] as? [String: [Double]])
        for name in ["fc1.bias", "fc2.weight"] {
            let exported = (dumps[name] ?? []).map { Float($0).bitPattern }
            #expect(exported == average[name], "\(name) is not the moving average")
            #expect(exported != live[name], "\(name) equals the last weights: the test cannot tell them apart")
        }
    }

}

/// `synapse export`'s refusals, which need no ONNX runtime: bad arguments and a missing
/// checkpoint exit 2 and write nothing; a file already there stays as it was. (A layer with no
/// ONNX form: ONNXExportTests.)
@Suite(.enabled(if: SynapseCLI.binary != nil, "the synapse binary is not built (swift build --build-tests builds it)"),
       .enabled(if: SynapseCLI.hasFashionMNIST, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
struct CLIExportRefusalTests {
    @Test func badArgumentsExitTwoAndWriteNothing() throws {
        let run = try ShortRun.finished()
        let dir = try TestDirectory("export-bad")
        defer { dir.remove() }
        let out = dir.file("model.onnx")
        let kept = try dir.write("an earlier file", to: "kept.onnx")
        let cases: [([String], String)] = [
            (["export", run.directory, "--onnx", out, "--batch", "0"], "--batch 0"),
            (["export", run.directory, "--onnx", out, "--batch", "many"], "dynamic"),
            (["export", run.directory], "--onnx"),
            (["export", run.directory, "--onnx", dir.path], "is a directory"),
            (["export", run.directory, "--onnx", dir.file("missing/model.onnx")], "does not exist"),
            (["export", dir.file("nowhere"), "--onnx", out], "does not exist"),
            (["export", dir.file("nowhere"), "--onnx", kept], "does not exist"),
        ]
        for (arguments, message) in cases {
            let result = try SynapseCLI.run(arguments)
            #expect(result.status == 2, "\(result.report)")
            #expect(result.stderr.contains(message), "\(result.report)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["kept.onnx"])
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == "an earlier file")
    }
}
