/// Sum of `count` consecutive floats, in eight independent lanes.
///
/// A plain `s += p[i]` loop is one long dependency chain (each add waits for the previous
/// one, and the compiler may not reorder float adds), so it runs at one add per ~4 cycles;
/// eight partial sums run at load speed (measured 9× faster on 784-float planes). The
/// result can differ from the sequential sum in the last bits (another rounding order).
@inline(__always)
func contiguousSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    while i &+ 8 <= count {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        i &+= 8
    }
    var s = lanes.sum()
    while i < count {
        s += p[i]
        i &+= 1
    }
    return s
}
