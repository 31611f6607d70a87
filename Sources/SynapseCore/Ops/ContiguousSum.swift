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

/// Σ dy[i] and Σ dy[i]·(x[i] − shift) over `count` consecutive floats, accumulated in Double
/// in eight independent lanes: batch norm's backward sums, and with dy = x, shift = 0 its
/// statistics Σx and Σx² (Double keeps Σx² − (Σx)²/M exact enough; the lanes keep the loop at
/// load speed instead of one dependent Double add per value).
@inlinable @inline(__always)
public func contiguousSumAndDot(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, shift: Float,
                         count: Int) -> (sum: Double, dot: Double) {
    var s = SIMD8<Double>(), d = SIMD8<Double>()
    let shift8 = SIMD8<Float>(repeating: shift)
    var i = 0
    while i &+ 8 <= count {
        let g = SIMD8<Double>(UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self))
        let c = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - shift8)
        s += g
        d += g * c
        i &+= 8
    }
    var sum = s.sum(), dot = d.sum()
    while i < count {
        let g = Double(dy[i])
        sum += g
        dot += g * Double(x[i] - shift)
        i &+= 1
    }
    return (sum, dot)
}
