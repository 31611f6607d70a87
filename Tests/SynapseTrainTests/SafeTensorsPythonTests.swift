import Foundation
import Testing
@testable import SynapseTrain

/// Runs `python3 -c script args…`; nil if python3 cannot be started.
func runPython3(_ script: String, _ arguments: [String] = []) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Which independent Python readers exist on this machine (checked once).
enum PythonReaders {
    static let hasNumpy = runPython3("import numpy")?.status == 0
    static let hasSafetensors = runPython3("import numpy, safetensors.numpy")?.status == 0
}

/// Independent checks of the file format: Python parses what Swift wrote, and the reference
/// `safetensors` package writes what Swift reads.
@Suite struct SafeTensorsPythonTests {
    private let tensors: [(name: String, shape: [Int], values: [Float])] = [
        ("fc1.weight", [2, 3], [1, -2, 0.5, 3.25, -0.125, 1e-7]),
        ("fc1.bias", [3], [0.1, 0.2, 0.3]),
        ("scale", [], [-4]),
    ]
    private var entries: [SafeTensorsEntry] { tensors.map { SafeTensorsEntry(name: $0.name, shape: $0.shape, values: $0.values) } }

    /// Parses the script's last output line as JSON {name: {"shape": [...], "values": [...]}, "__metadata__": {...}}.
    private func decodeDump(_ text: String) throws -> [String: Any] {
        let line = try #require(text.split(separator: "\n").last.map(String.init), "no output")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "bad output: \(text)")
    }

    private func expectMatches(_ dump: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        for t in tensors {
            let tensor = dump[t.name] as? [String: Any]
            #expect((tensor?["shape"] as? [Int]) == t.shape, "\(t.name) shape", sourceLocation: sourceLocation)
            // float32 → Python float (double) → JSON → Double → Float is exact.
            let values = (tensor?["values"] as? [Double])?.map { Float($0) }
            #expect(values == t.values, "\(t.name) values", sourceLocation: sourceLocation)
        }
        #expect((dump["__metadata__"] as? [String: String]) == ["format": "pt", "run": "test"], sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: PythonReaders.hasNumpy, "python3 with numpy is not available"))
    func numpyParsesOurFileIndependently() throws {
        let dir = try ScratchDirectory("st-numpy")
        defer { dir.remove() }
        let path = dir.file("model.safetensors")
        try SafeTensors.write(entries, metadata: ["format": "pt", "run": "test"], to: path)
        // The format by hand: struct for the length, json for the header, numpy for the data.
        let script = """
        import json, struct, sys
        import numpy as np
        raw = open(sys.argv[1], "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert (8 + n) % 8 == 0, "header not padded to 8"
        header = json.loads(raw[8:8 + n].decode("utf-8"))
        data = raw[8 + n:]
        out = {"__metadata__": header.pop("__metadata__", {})}
        for name, t in header.items():
            assert t["dtype"] == "F32"
            b, e = t["data_offsets"]
            a = np.frombuffer(data[b:e], dtype="<f4").reshape(t["shape"])
            out[name] = {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}
        print(json.dumps(out))
        """
        let result = try #require(runPython3(script, [path]))
        #expect(result.status == 0, "python failed: \(result.output)")
        expectMatches(try decodeDump(result.output))
    }

    @Test(.enabled(if: PythonReaders.hasSafetensors, "Python package `safetensors` is not installed (pip install safetensors)"))
    func referenceLibraryLoadsOurFile() throws {
        let dir = try ScratchDirectory("st-reference-read")
        defer { dir.remove() }
        let path = dir.file("model.safetensors")
        try SafeTensors.write(entries, metadata: ["format": "pt", "run": "test"], to: path)
        let script = """
        import json, sys
        from safetensors import safe_open
        out = {}
        with safe_open(sys.argv[1], framework="numpy") as f:
            out["__metadata__"] = f.metadata()
            for name in f.keys():
                a = f.get_tensor(name)
                out[name] = {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}
        print(json.dumps(out))
        """
        let result = try #require(runPython3(script, [path]))
        #expect(result.status == 0, "python failed: \(result.output)")
        expectMatches(try decodeDump(result.output))
    }

    @Test(.enabled(if: PythonReaders.hasSafetensors, "Python package `safetensors` is not installed (pip install safetensors)"))
    func weLoadTheReferenceLibrarysFile() throws {
        let dir = try ScratchDirectory("st-reference-write")
        defer { dir.remove() }
        let path = dir.file("ref.safetensors")
        let script = """
        import sys
        import numpy as np
        from safetensors.numpy import save_file
        save_file({
            "z.last": np.arange(5, dtype=np.float32) * 0.5 - 1,
            "a.first": np.array([[1.5, -2.25], [3e-8, 4e8]], dtype=np.float32),
            "scalar": np.array(7, dtype=np.float32),
        }, sys.argv[1], metadata={"who": "reference"})
        """
        let result = try #require(runPython3(script, [path]))
        #expect(result.status == 0, "python failed: \(result.output)")
        let file = try SafeTensorsFile(contentsOf: path)
        #expect(file.metadata == ["who": "reference"])
        #expect(Set(file.names) == ["z.last", "a.first", "scalar"])
        #expect(try file.floats(named: "z.last") == [-1, -0.5, 0, 0.5, 1])
        #expect(file.info(named: "a.first")?.shape == [2, 2])
        #expect(try file.floats(named: "a.first") == [1.5, -2.25, 3e-8, 4e8])
        #expect(file.info(named: "scalar")?.shape == [])
        #expect(try file.floats(named: "scalar") == [7])
    }
}
