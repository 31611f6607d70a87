import Foundation
import Testing
@testable import SynapseTrain

/// The protocol-buffer wire format, against the worked examples of the protobuf encoding guide
/// and bytes that TensorBoard's own `event_pb2` serialized.
@Suite struct ProtobufEncoderTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: [
        (UInt64(0), "00"), (1, "01"), (127, "7f"), (128, "8001"), (150, "9601"), (300, "ac02"),
        (16_383, "ff7f"), (16_384, "808001"), (UInt64(UInt32.max), "ffffffff0f"),
        (UInt64.max, "ffffffffffffffffff01"),
    ])
    func varintOfKnownNumbers(value: UInt64, expected: String) {
        #expect(hex(ProtobufEncoder.varint(value)) == expected)
    }

    @Test func fieldsOfTheEncodingGuide() {
        var e = ProtobufEncoder()
        e.int64(field: 1, 150)
        #expect(hex(e.bytes) == "089601")
        e = ProtobufEncoder()
        e.string(field: 2, "testing")
        #expect(hex(e.bytes) == "120774657374696e67")
        e = ProtobufEncoder()
        e.packedInt64(field: 4, [3, 270, 86_942])
        #expect(hex(e.bytes) == "2206038e029ea705")
        e = ProtobufEncoder()
        e.message(field: 3) { $0.int64(field: 1, 150) }
        #expect(hex(e.bytes) == "1a03089601")
    }

    @Test func signedAndFixedWidthFields() {
        var e = ProtobufEncoder()
        e.int64(field: 1, -1)        // two's complement: ten bytes
        #expect(hex(e.bytes) == "08ffffffffffffffffff01")
        e = ProtobufEncoder()
        e.int32(field: 1, -2)        // sign-extended like int64
        #expect(hex(e.bytes) == "08feffffffffffffffff01")
        e = ProtobufEncoder()
        for v: Int64 in [0, -1, 1, -2, 2_147_483_647] { e.sint64(field: 1, v) }   // zigzag 0 1 2 3 4294967294
        #expect(hex(e.bytes) == "0800080108020803" + "08feffffff0f")
        e = ProtobufEncoder()
        e.float(field: 1, 1.0)
        e.double(field: 2, 1.0)
        e.fixed32(field: 3, 0x0403_0201)
        e.bool(field: 4, true)
        #expect(hex(e.bytes) == "0d0000803f" + "11000000000000f03f" + "1d01020304" + "2001")
        e = ProtobufEncoder()
        e.packedFloat(field: 5, [1.0, -2.0])
        #expect(hex(e.bytes) == "2a080000803f000000c0")
    }

    @Test func decoderReadsBackWhatTheEncoderWrote() throws {
        var e = ProtobufEncoder()
        e.double(field: 1, 1.5)
        e.int64(field: 2, -7)
        e.string(field: 3, "tag")
        e.float(field: 15, 0.25)
        e.uint64(field: 536_870_911, 1)   // the largest field number
        let fields = try ProtobufDecoder(e.bytes).fields()
        #expect(fields.map(\.field) == [1, 2, 3, 15, 536_870_911])
        #expect(fields[0].value == .fixed64(1.5.bitPattern))
        #expect(fields[1].value == .varint(UInt64(bitPattern: -7)))
        #expect(fields[2].value == .bytes(Array("tag".utf8)))
        #expect(fields[3].value == .fixed32(Float(0.25).bitPattern))
        // Cut short anywhere inside a field: an error, not a crash or a wrong answer.
        for n in 1..<e.bytes.count where ![9, 20, 25, 30].contains(n) {
            #expect(throws: ProtobufDecoder.Malformed.self, "\(n) bytes") { try ProtobufDecoder(e.bytes.prefix(n)).fields() }
        }
        #expect(throws: ProtobufDecoder.Malformed.self) { try ProtobufDecoder([0x0b]).fields() }   // wire type 3 (group)
    }
}

/// CRC-32C and the TFRecord framing of TensorBoard event files.
@Suite struct TFRecordTests {
    @Test func crcCheckValues() {
        let digits = Array("123456789".utf8)
        #expect(CRC32Table.castagnoli.checksum(digits) == 0xE306_9283)    // the CRC-32C check value
        #expect(CRC32Table.castagnoli.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)   // RFC 3720 B.4
        #expect(CRC32Table.zlib.checksum(digits) == 0xCBF4_3926)          // the CRC-32 check value
        #expect(CRC32Table.castagnoli.checksum([]) == 0)
    }

    @Test func tableWithZlibsPolynomialAgreesWithZlib() {
        for count in [1, 7, 64, 1000, 4099] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            #expect(CRC32Table.zlib.checksum(bytes) == CRC32.checksum(Data(bytes)), "\(count) bytes")
        }
    }

    @Test func maskedCRCAndFrameMatchTensorBoardsReader() {
        // Values from tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c.
        #expect(TFRecord.maskedCRC([UInt8](repeating: 0, count: 8)) == 0x0798_0329)
        #expect(TFRecord.maskedCRC(Array("abc".utf8)) == 0x21F1_576E)
        let framed = TFRecord.frame(Array("abc".utf8))
        #expect(framed == [3, 0, 0, 0, 0, 0, 0, 0] + le(TFRecord.maskedCRC([3, 0, 0, 0, 0, 0, 0, 0]))
                + Array("abc".utf8) + le(0x21F1_576E))
    }

    @Test func readerStopsAtATruncatedOrDamagedRecord() {
        let records: [[UInt8]] = [Array("first".utf8), [], Array(repeating: 7, count: 300)]
        let file = records.flatMap(TFRecord.frame)
        #expect(TFRecord.records(in: file) == (records, true))
        // Cut anywhere: the complete records before the cut, and `complete` false.
        for cut in 0..<file.count {
            let (read, complete) = TFRecord.records(in: Array(file.prefix(cut)))
            let whole = [0, 21, 37].filter { $0 <= cut }.count - 1   // records ending at or before `cut`
            #expect(read == Array(records.prefix(whole)), "cut at \(cut)")
            #expect(complete == (cut == 0 || cut == 21 || cut == 37), "cut at \(cut)")
        }
        var damaged = file
        damaged[21 + 12 + 100] ^= 1   // a bit of the third record's data
        #expect(TFRecord.records(in: damaged) == (Array(records.prefix(2)), false))
        damaged = file
        damaged[21 + 2] ^= 0x80       // the second record's length
        #expect(TFRecord.records(in: damaged) == (Array(records.prefix(1)), false))
    }

    private func le(_ x: UInt32) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }
}

/// The TensorBoard `Event` messages, against bytes serialized by TensorBoard's `event_pb2`.
@Suite struct TensorBoardEventTests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func eventsMatchTensorBoardsProtobufBytes() {
        // event_pb2.Event(wall_time=1.5, file_version="brain.Event:2").SerializeToString()
        #expect(hex(TensorBoardEvent.fileVersion(wallTime: 1.5)) == "09000000000000f83f1a0d627261696e2e4576656e743a32")
        // event_pb2.Event(wall_time=1.5, step=300) with one value, tag "train/loss", simple_value 0.25
        #expect(hex(TensorBoardEvent.scalars([("train/loss", 0.25)], step: 300, wallTime: 1.5))
                == "09000000000000f83f10ac022a130a110a0a747261696e2f6c6f7373150000803e")
    }

    @Test func parseReadsStepAndTags() {
        let scalars = TensorBoardEvent.scalars([("val/loss", 1), ("val/accuracy", 0.5)], step: 1234, wallTime: 9)
        #expect(TensorBoardEvent.parse(scalars) == .init(step: 1234, tags: ["val/loss", "val/accuracy"]))
        let text = TensorBoardEvent.text("hello", tag: "config", step: 5, wallTime: 9)
        #expect(TensorBoardEvent.parse(text) == .init(step: 5, tags: ["config"]))
        #expect(TensorBoardEvent.parse(TensorBoardEvent.fileVersion(wallTime: 9)) == .init(step: 0, tags: []))
        #expect(TensorBoardEvent.parse([0x2a, 0x05, 0x0a]) == nil)
    }
}
