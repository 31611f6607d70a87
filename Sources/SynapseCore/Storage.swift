import Synchronization

/// A contiguous block of `Float`s that a `Tensor` reads and writes.
///
/// Storage is either *pooled* (taken from `BufferPool` and given back when the last tensor
/// using it goes away, so that a training step in steady state allocates no new buffers), or
/// a *view* into memory that someone else owns (a `ParameterArena`), which it keeps alive.
public final class Storage: @unchecked Sendable {
    /// First element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int
    /// Keeps the owner of a view alive (the arena); `nil` for pooled storage.
    private let owner: AnyObject?

    /// Takes a buffer of `count` floats from the pool. Contents are NOT cleared.
    public init(uninitializedCount count: Int) {
        self.base = BufferPool.shared.take(count)
        self.count = count
        self.owner = nil
    }

    /// A view of `count` floats at `base`, memory owned (and kept alive) by `owner`.
    public init(viewOf base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { BufferPool.shared.give(base, count: count) }
    }

    /// The elements as a buffer pointer, for tight loops.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base, count: count)
    }
}

/// Allocates `count` floats (at least one) starting on a 64-byte boundary: a cache line, and
/// one AVX-512 vector. Release with `deallocate()`.
///
/// Why not `UnsafeMutablePointer<Float>.allocate`: glibc's malloc serves large blocks 16 bytes
/// past a page boundary, so every 64-byte vector load from them straddles two cache lines.
/// OpenBLAS's in-place small products (`BLAS.gemmInUnpackedBlocks`) ran at 80 and 98 GFLOP/s
/// on such buffers against 117 and 145 on aligned ones (an LSTM step's products, B 32, H 256,
/// 2026-12-01).
public func allocateAlignedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let count = max(count, 1)
    return UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: count)
}

/// A cache of freed float buffers, keyed by element count.
///
/// Training repeats the same shapes every step, so after the first step every intermediate
/// activation and gradient buffer is found here instead of being allocated (the same idea as
/// PyTorch's caching allocator). Thread-safe: tests run tensors on several threads at once.
public final class BufferPool: Sendable {
    /// The process-wide pool.
    public static let shared = BufferPool()

    private struct State {
        var free: [Int: [UInt]] = [:]   // addresses (pointers are not Sendable)
        var allocations = 0
        var bytesLive = 0
        var bytesCached = 0
    }
    private let state = Mutex(State())

    /// Fresh allocations made so far (a steady-state training step should add none).
    public var allocationCount: Int { state.withLock { $0.allocations } }

    /// Bytes currently handed out plus bytes cached for reuse.
    public var bytesReserved: Int { state.withLock { $0.bytesLive + $0.bytesCached } }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = count * MemoryLayout<Float>.stride
        let reused: UInt? = state.withLock { s in
            guard let p = s.free[count]?.popLast() else { return nil }
            s.bytesCached -= bytes
            s.bytesLive += bytes
            return p
        }
        if let address = reused { return UnsafeMutablePointer(bitPattern: address)! }
        state.withLock { s in s.allocations += 1; s.bytesLive += bytes }
        return allocateAlignedFloats(count)
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = count * MemoryLayout<Float>.stride
        let address = UInt(bitPattern: p)
        state.withLock { s in
            s.free[count, default: []].append(address)
            s.bytesLive -= bytes
            s.bytesCached += bytes
        }
    }

    /// Frees every cached buffer (memory still in use is untouched).
    public func trim() {
        let all = state.withLock { s -> [UInt] in
            let ps = s.free.values.flatMap { $0 }
            s.free.removeAll()
            s.bytesCached = 0
            return ps
        }
        for a in all { UnsafeMutablePointer<Float>(bitPattern: a)?.deallocate() }
    }
}
