/// Learns byte-pair merges from text: start from its bytes (tokens 0…255), repeatedly join the
/// most frequent pair of adjacent tokens into a new token, 256, 257, …, and replace it
/// everywhere. Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
/// Units" (Algorithm 1, on words with their frequencies); GPT-2 applies it to bytes.
///
/// Pairs are counted within chunks (`TextChunks`), never across them. The text is reduced to
/// its distinct chunks, each with its number of occurrences: a pair's count is the sum over
/// the chunks holding it of (occurrences of the pair in the chunk) × (chunk frequency).
/// Overlapping pairs count each ("aaa" holds (a, a) twice), and a merge replaces left to
/// right ("aaa" → "Za"), as GPT-2 and minbpe do.
///
/// The most frequent pair wins; ties go to the smallest (first id, second id). Learning stops
/// when `merges` are learned, or when no pair occurs twice: merging a pair seen once only
/// memorizes that one place, so a short text can give fewer tokens than asked for.
///
/// Cost, for a text of N bytes whose distinct chunks hold D bytes in all, learning M merges:
/// not the O(M · D) of recounting every pair after each merge, but O(N) to find the distinct
/// chunks, O(D) for the first count, and for merge k only the chunks that hold its pair
/// (A_k bytes in all) are rewritten — O(A_k) to update the counts of their pairs, and
/// O(P_k log Q) for the P_k pairs whose count changed, in a heap of Q entries. A_k is small
/// for all but the first merges (a pair like "e " sits in many chunks; a late merge in few):
/// on fortunes (2.3 MB, D ≈ 0.5 MB) 256 merges take well under a second.
struct BytePairLearner {
    /// Each distinct chunk as its current tokens. - Shape: [chunks][tokens].
    private var words: [[Int32]] = []
    /// How often each distinct chunk occurs in the text. - Shape: [chunks].
    private var frequency: [Int] = []
    /// Weighted count of every pair present now (pairs with count 0 are removed).
    private var counts: [TokenPair: Int] = [:]
    /// The chunks a pair has appeared in: a superset of those holding it now (an entry is
    /// checked before use), each chunk listed once per pair.
    private var occurrences: [TokenPair: [Int32]] = [:]
    /// Every pair's count, latest entries valid (see `PairQueue`).
    private var queue = PairQueue()

    /// Counts the chunks of `bytes` and their pairs.
    init(bytes: [UInt8]) {
        var index: [ArraySlice<UInt8>: Int] = [:]   // chunk → its row in `words`, first occurrence first
        bytes.withUnsafeBufferPointer { buffer in
            TextChunks.forEach(in: buffer) { range in
                let chunk = bytes[range]
                if let w = index[chunk] {
                    frequency[w] += 1
                } else {
                    index[chunk] = words.count
                    words.append(chunk.map { Int32($0) })
                    frequency.append(1)
                }
            }
        }
        var added: [TokenPair: Int] = [:]
        for w in words.indices { tally(w, weight: 1, into: &added, listing: .all) }
        for (pair, count) in added {
            counts[pair] = count
            queue.push(.init(count: count, pair: pair))   // any order: the queue's order is total
        }
    }

    /// Learns up to `maximum` merges, in order: merge k makes token 256 + k.
    mutating func learn(merges maximum: Int) -> [TokenPair] {
        var merges: [TokenPair] = []
        var visited = [Int](repeating: -1, count: words.count)   // the merge that last rewrote each chunk
        while merges.count < maximum, let best = nextPair(), best.count >= 2 {
            let pair = best.pair, k = merges.count, id = Int32(256 + k)
            var changed: [TokenPair: Int] = [:]   // net change of each pair's count
            for w in occurrences.removeValue(forKey: pair) ?? [] where visited[Int(w)] != k {
                let w = Int(w)
                visited[w] = k
                guard Self.holds(words[w], pair) else { continue }
                tally(w, weight: -1, into: &changed, listing: .none)
                words[w] = Self.merged(words[w], pair, into: id)
                tally(w, weight: 1, into: &changed, listing: .holding(id))
            }
            for (p, delta) in changed where delta != 0 {
                let now = counts[p, default: 0] + delta
                counts[p] = now > 0 ? now : nil
                if now > 0 { queue.push(.init(count: now, pair: p)) }
            }
            merges.append(pair)
        }
        return merges
    }

    /// The most frequent pair and its count, skipping stale queue entries; nil when no pair is left.
    private mutating func nextPair() -> PairQueue.Entry? {
        while let entry = queue.pop() {
            if let count = counts[entry.pair], count == entry.count { return entry }
        }
        return nil
    }

    /// Which pairs of a chunk `tally` lists the chunk under.
    private enum Listing {
        /// None (the chunk is being taken out).
        case none
        /// Every pair (the first count).
        case all
        /// The pairs holding this new token: the only pairs a merge creates.
        case holding(Int32)
    }

    /// Adds `weight` × the chunk's frequency to the count of each pair in chunk `w`, and lists
    /// `w` under the pairs `listing` names.
    private mutating func tally(_ w: Int, weight: Int, into delta: inout [TokenPair: Int], listing: Listing) {
        let tokens = words[w], f = weight * frequency[w]
        for i in 0..<max(0, tokens.count - 1) {
            let pair = TokenPair(tokens[i], tokens[i + 1])
            delta[pair, default: 0] += f
            let listed: Bool
            switch listing {
            case .none: listed = false
            case .all: listed = true
            case .holding(let id): listed = tokens[i] == id || tokens[i + 1] == id
            }
            if listed && occurrences[pair]?.last != Int32(w) { occurrences[pair, default: []].append(Int32(w)) }
        }
    }

    /// Whether `pair` occurs in `tokens`.
    private static func holds(_ tokens: [Int32], _ pair: TokenPair) -> Bool {
        let (a, b) = (pair.first, pair.second)
        for i in 0..<max(0, tokens.count - 1) where tokens[i] == a && tokens[i + 1] == b { return true }
        return false
    }

    /// `tokens` with every occurrence of `pair`, left to right, replaced by `id`.
    static func merged(_ tokens: [Int32], _ pair: TokenPair, into id: Int32) -> [Int32] {
        let (a, b) = (pair.first, pair.second)
        var out: [Int32] = []
        out.reserveCapacity(tokens.count)
        var i = 0
        while i < tokens.count {
            if i + 1 < tokens.count && tokens[i] == a && tokens[i + 1] == b {
                out.append(id)
                i += 2
            } else {
                out.append(tokens[i])
                i += 1
            }
        }
        return out
    }
}
