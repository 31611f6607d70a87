import Foundation
import Testing
import SynapseCore
import SynapseNN
@testable import SynapseTrain

/// The pieces of `synapse export --onnx` that need no runtime: the protobuf bytes of one
/// message by hand, the gate reordering of the recurrent weights, and the refusal of a layer
/// with no ONNX form. (CLIExportTests runs whole files in ONNX Runtime.)
@Suite struct ONNXExportTests {
    @Test func tensorBytesByHand() {
        var e = ProtobufEncoder()
        ONNX.Tensor(name: "w", shape: [2], floats: [1, -2]).encode(into: &e)
        // dims (1, varint) 2 · data_type (2) FLOAT 1 · name (8, bytes) "w" · raw_data (9, bytes) 1.0f, -2.0f little-endian
        #expect(e.bytes == [0x08, 0x02, 0x10, 0x01, 0x42, 0x01, 0x77, 0x4A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    }

    @Test func valueInfoBytesByHand() {
        var e = ProtobufEncoder()
        ONNX.ValueInfo(name: "x", elementType: .int64, shape: [.symbolic("b"), .fixed(3)]).encode(into: &e)
        // name "x" · type { tensor_type { elem_type INT64 7 · shape { dim { dim_param "b" } dim { dim_value 3 } } } }
        #expect(e.bytes == [0x0A, 0x01, 0x78, 0x12, 0x0F, 0x0A, 0x0D, 0x08, 0x07, 0x12, 0x09,
                            0x0A, 0x03, 0x12, 0x01, 0x62, 0x0A, 0x02, 0x08, 0x03])
    }

    @Test func gateBlocksFollowONNXOrder() {
        // Four gate blocks of one row each, in PyTorch's LSTM order i, f, g, o → ONNX's i, o, f, c.
        let weights = Tensor(shape: [4, 2], values: [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(ONNXLayerWriter.gateBlocks(weights, order: [0, 3, 1, 2]) == [1, 1, 4, 4, 2, 2, 3, 3])
        // GRU r, z, n → z, r, h.
        #expect(ONNXLayerWriter.gateBlocks(Tensor(shape: [3], values: [1, 2, 3]), order: [1, 0, 2]) == [2, 1, 3])
    }

    /// A layer with no ONNX form stops the export with a message that names it.
    @Test func unknownLayerIsRefused() {
        final class Doubling: Module {
            override func forward(_ x: Tensor) -> Tensor { add(x, x) }
        }
        var rng = RandomGenerator(seed: 1, stream: 0)
        let model = Sequential(named: [("fc1", Linear(inputSize: 4, outputSize: 3, rng: &rng)), ("twice", Doubling())])
        do {
            _ = try ONNXExport.model(of: model, input: .images(shape: [1, 2, 2], normalization: .unitInterval, flat: true),
                                     classes: 3, batch: .dynamic, metadata: [], name: "test")
            Issue.record("the export did not refuse the Doubling layer")
        } catch let error as UserError {
            #expect(error.message.contains("twice") && error.message.contains("Doubling"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
