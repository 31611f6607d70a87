import ArgumentParser
import Foundation
import SynapseTrain

/// `synapse export CHECKPOINT --onnx FILE.onnx`: the trained model as an ONNX file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained model as an ONNX file (opset 17) for ONNX Runtime and other runtimes.",
        discussion: """
        CHECKPOINT is a checkpoint directory, its `latest` link, or a run directory. The file \
        holds what `synapse eval` scores: the moving average of the weights if the run kept one \
        (train.ema_decay), in evaluation mode (no dropout, batch norm with its running \
        statistics). Image models read `image`, float32 [batch, C, H, W] raw pixel values 0-255 \
        (the graph normalizes them as training did); text models read `tokens`, int64 [batch, \
        sequence]. Outputs: `logits` and `probabilities`. --batch N fixes the batch dimension; \
        dynamic (the default) leaves it to each call. Every model family synapse trains exports \
        (mlp, cnn, lstm, gru, rnn, transformer); a layer with no ONNX form is refused (exit status \
        2) and nothing is written. The file is replaced atomically. See docs/onnx.md.
        """)

    @Argument(help: "Checkpoint directory, `latest` link, or run directory.")
    var checkpoint: String

    @Option(name: .long, help: ArgumentHelp("The ONNX file to write.", valueName: "FILE.onnx"))
    var onnx: String

    @Option(name: .long, help: ArgumentHelp("The batch dimension: a number of samples, or dynamic.", valueName: "N|dynamic"))
    var batch: String = "dynamic"

    @Option(name: .long, help: "Override the data directory stored in the checkpoint's config (image models).")
    var dataPath: String?

    func validate() throws {
        guard ONNXExport.BatchSize(argument: batch) != nil else {
            throw ValidationError("--batch \(batch): give a number of samples of at least 1, or dynamic")
        }
        guard !onnx.isEmpty, !onnx.hasSuffix("/") else { throw ValidationError("--onnx needs a file name, e.g. --onnx model.onnx") }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: onnx, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UserError("--onnx \(onnx) is a directory; give a file name, e.g. --onnx \(onnx)/model.onnx")
        }
        let parent = (onnx as NSString).deletingLastPathComponent
        if !parent.isEmpty && !FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) {
            throw UserError("--onnx \(onnx): the directory \(parent) does not exist; create it first")
        }
        let summary = try ONNXExport.export(checkpoint: checkpoint, to: onnx, batch: ONNXExport.BatchSize(argument: batch)!,
                                            dataPath: dataPath)
        print("wrote \(summary.path) (\(summary.bytes) bytes, ONNX opset \(ONNX.opsetVersion)): the \(summary.family) model of "
              + summary.checkpoint + (summary.movingAverage ? ", moving average of the weights" : ""))
        for line in summary.signature { print("  " + line) }
    }
}
