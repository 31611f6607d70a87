/// A max-priority queue (binary heap) of token pairs by count, for learning byte-pair merges:
/// the top is the most frequent pair, ties going to the smallest pair (first id, then second
/// id), so that learning never depends on hashing or insertion order.
///
/// Entries are not updated in place. When a pair's count changes the learner pushes a new
/// entry, and on `pop` it discards entries whose count is no longer the pair's ("lazy
/// deletion"): O(log Q) per push and pop for a heap of Q entries, no index to keep.
struct PairQueue {
    /// A pair and its count when the entry was pushed.
    struct Entry: Equatable {
        var count: Int
        var pair: TokenPair
    }

    private var heap: [Entry] = []

    /// Number of entries, stale ones included.
    var count: Int { heap.count }

    /// Whether `a` comes out before `b`: a higher count, or the same count and a smaller pair.
    @inline(__always)
    static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.count > b.count || (a.count == b.count && a.pair < b.pair)
    }

    /// Adds an entry. O(log Q).
    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the first entry (highest count, smallest pair), or nil. O(log Q).
    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && Self.precedes(heap[left], heap[first]) { first = left }
            if right < heap.count && Self.precedes(heap[right], heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return top
    }
}
