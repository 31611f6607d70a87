import Foundation
import Testing
import SynapseData
import SynapseTestSupport

/// The default corpus, Debian's fortunes, loaded once for all tests.
enum RealFortunes {
    static let installed = FileManager.default.fileExists(atPath: TextCorpus.fortunesDirectory)
    static let corpus = Result { try TextCorpus(path: nil) }

    /// The peer's `load_corpus(None)` (peer/bench_torch_seq.py) without torch, run by Python:
    /// the same file selection, decoding and split, printed as one JSON line with a 64-bit
    /// polynomial hash of the code points so the whole text is compared, not just its size.
    static let peerScript = #"""
import glob, json, os
FORTUNES = "/usr/share/games/fortunes"
files = sorted(f for f in glob.glob(os.path.join(FORTUNES, "*"))
               if os.path.isfile(f) and not os.path.islink(f)
               and not f.endswith((".dat", ".u8")))
raw = b"".join(open(f, "rb").read() for f in files)
text = raw.decode("utf-8", errors="replace")
chars = sorted(set(text))
n = int(0.9 * len(text))
h = 0
for c in text:
    h = (h * 1099511628211 + ord(c)) & 0xFFFFFFFFFFFFFFFF
print(json.dumps({"files": files, "bytes": len(raw), "chars": len(text), "vocab": [ord(c) for c in chars],
                  "train": n, "val": len(text) - n, "hash": str(h)}))
"""#

    /// Whether `python3` can be started.
    static let hasPython = (try? ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "pass"]))?.status == 0
}

@Suite(.enabled(if: RealFortunes.installed,
                "Debian's fortunes is not installed (apt-get install fortunes, or launch/install-deps)"))
struct TextFortunesTests {
    @Test func defaultCorpusHasTheDocumentedSize() throws {
        let corpus = try RealFortunes.corpus.get()
        #expect(corpus.path == TextCorpus.fortunesDirectory)
        #expect(corpus.files.allSatisfy { !$0.hasSuffix(".dat") && !$0.hasSuffix(".u8") })
        #expect(abs(corpus.byteCount - 2_580_000) < 20_000, "≈ 2.58 MB, got \(corpus.byteCount) bytes")
        #expect(corpus.replacementCount == 0)
        #expect(CharacterTokenizer(corpus: corpus).count == 113)
        let n = corpus.count
        let split = try TextSplit(tokens: CharacterTokenizer(corpus: corpus).encode(corpus.characters, source: corpus.path),
                                  source: corpus.path)
        #expect(split.train.count == Int(0.9 * Double(n)))
        #expect(split.train.count + split.validation.count == n)
    }

    @Test(.enabled(if: RealFortunes.hasPython, "python3 is not installed: cannot run the peer's corpus definition"))
    func defaultCorpusEqualsThePeers() throws {
        let run = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", RealFortunes.peerScript])
        try #require(run.status == 0, "\(run.report)")
        let line = try #require(run.stdout.split(separator: "\n").last.map(String.init), "\(run.report)")
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")

        let corpus = try RealFortunes.corpus.get()
        let tokenizer = CharacterTokenizer(corpus: corpus)
        let split = try TextSplit(tokens: tokenizer.encode(corpus.characters, source: corpus.path), source: corpus.path)
        var hash: UInt64 = 0
        for c in corpus.characters { hash = hash &* 1_099_511_628_211 &+ UInt64(c.value) }

        #expect(corpus.files == peer["files"] as? [String])
        #expect(corpus.byteCount == peer["bytes"] as? Int)
        #expect(corpus.count == peer["chars"] as? Int)
        #expect(tokenizer.vocabulary.map { Int($0.value) } == peer["vocab"] as? [Int])
        #expect(split.train.count == peer["train"] as? Int)
        #expect(split.validation.count == peer["val"] as? Int)
        #expect(String(hash) == peer["hash"] as? String, "the decoded text differs from Python's")
        print("fortunes: \(corpus.files.count) files, \(corpus.byteCount) bytes, \(corpus.count) characters, "
              + "\(tokenizer.count) distinct; train \(split.train.count), validation \(split.validation.count)")
    }

    @Test func validationOfTheDefaultCorpusHasThePeersWindowCount() throws {
        let corpus = try RealFortunes.corpus.get()
        let tokenizer = CharacterTokenizer(corpus: corpus)
        let split = try TextSplit(tokens: tokenizer.encode(corpus.characters, source: corpus.path), source: corpus.path)
        let windows = try ValidationWindows(tokens: split.validation, context: 64, batchSize: 64, source: corpus.path)
        #expect(windows.totalWindowCount == (split.validation.count - 1) / 64)
        let training = try TrainingWindows(tokens: split.train, context: 64, globalBatchSize: 12, seed: 1337, source: corpus.path)
        let batch = training.batch(step: 0)
        #expect(try tokenizer.decode(batch.targets[0..<63]) == tokenizer.decode(batch.inputs.scalars[1..<64].map { Int32($0) }))
    }
}
