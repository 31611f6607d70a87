#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Applies `f` to every element, and records `df`, the derivative expressed through the input
/// `x` and the output `y` (whichever is cheaper: ReLU uses x, sigmoid uses y).
///
/// All pointwise activations are built on this one primitive, so each has exactly one
/// gradient rule: `dx += dy · f'(x, y)`.
@inlinable
public func pointwise(_ x: Tensor,
                      _ f: (Float) -> Float,
                      derivative df: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
    let y = Tensor(uninitializedShape: x.shape)
    let xs = x.pointer, ys = y.pointer
    for i in 0..<x.count { ys[i] = f(xs[i]) }
    if isRecording(x) {
        y.record(inputs: [x]) { y, dy in
            x.accumulateGrad { dx in
                let xs = x.pointer, ys = y.pointer, g = dy.pointer
                for i in 0..<dx.count { dx[i] += g[i] * df(xs[i], ys[i]) }
            }
        }
    }
    return y
}

/// Rectified linear unit, `max(0, x)`. Derivative 0 at x = 0 (as PyTorch).
///
/// NaN propagates, as in PyTorch: relu(NaN) = NaN, and the gradient passes through it.
/// The comparison is written `x <= 0 ? 0 : x` for that reason: `x > 0 ? x : 0` is false for
/// NaN and would turn it into 0, hiding diverged weights behind plausible outputs.
///
/// Written out instead of going through `pointwise`: ReLU sits after nearly every layer, and
/// these two loops have no closure call per element, so they run at memory bandwidth
/// (`pointwise`'s escaping derivative closure is called once per element in backward).
/// Same rule as `pointwise(x, { $0 <= 0 ? 0 : $0 }, derivative: { x, _ in x <= 0 ? 0 : 1 })`.
public func relu(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitializedShape: x.shape)
    let xs = x.pointer, ys = y.pointer
    // Load before comparing: `c ? p[i] : 0` makes the load conditional, and the compiler then
    // emits a branchy scalar loop (mispredicted half the time on real activations, 40× slower).
    for i in 0..<x.count { let v = xs[i]; ys[i] = v <= 0 ? 0 : v }
    if isRecording(x) {
        y.record(inputs: [x]) { y, dy in
            x.storeOrAccumulateGrad { dx, fresh in
                // y ≤ 0 exactly where x ≤ 0; NaN compares false, so its gradient passes (PyTorch's
                // threshold_backward: `x <= 0 ? 0 : dy`).
                let ys = y.pointer, g = dy.pointer
                if fresh {
                    for i in 0..<dx.count { let gi = g[i]; dx[i] = ys[i] <= 0 ? 0 : gi }
                } else {
                    for i in 0..<dx.count { let gi = g[i]; dx[i] += ys[i] <= 0 ? 0 : gi }
                }
            }
        }
    }
    return y
}

/// Leaky ReLU: `x` for x > 0, `negativeSlope · x` otherwise (PyTorch default slope 0.01).
/// NaN propagates (negativeSlope · NaN is NaN), as in PyTorch.
public func leakyRelu(_ x: Tensor, negativeSlope: Float = 0.01) -> Tensor {
    pointwise(x, { $0 > 0 ? $0 : negativeSlope * $0 },
              derivative: { x, _ in x > 0 ? 1 : negativeSlope })
}

/// Logistic sigmoid `1 / (1 + e^-x)`; derivative `y (1 - y)`.
public func sigmoid(_ x: Tensor) -> Tensor {
    pointwise(x, { v in
        // Split by sign so exp never overflows.
        if v >= 0 { return 1 / (1 + expf(-v)) }
        let e = expf(v); return e / (1 + e)
    }, derivative: { _, y in y * (1 - y) })
}

/// Hyperbolic tangent; derivative `1 - y²`.
public func tanh(_ x: Tensor) -> Tensor {
    pointwise(x, { tanhf($0) }, derivative: { _, y in 1 - y * y })
}

/// Gaussian error linear unit, exact form `x · Φ(x) = ½ x (1 + erf(x/√2))` (PyTorch's default
/// `approximate='none'`). Reference: Hendrycks & Gimpel, arXiv:1606.08415.
public func gelu(_ x: Tensor) -> Tensor {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    return pointwise(x, { v in 0.5 * v * (1 + erff(v * invSqrt2)) },
                     derivative: { v, _ in
                         0.5 * (1 + erff(v * invSqrt2)) + v * invSqrt2Pi * expf(-0.5 * v * v)
                     })
}

/// Multiplies every element by a constant.
public func scale(_ x: Tensor, by s: Float) -> Tensor {
    pointwise(x, { $0 * s }, derivative: { _, _ in s })
}
