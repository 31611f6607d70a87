import Foundation

/// Independent oracles: each optimizer written straight from the pseudo-code on its PyTorch
/// documentation page, in Double, one array element at a time, in the textbook form (e.g.
/// Adam with m̂ and v̂ spelled out). Deliberately naive: no arena, no buffers, no sharing.
enum Reference {
    typealias Gradient = (Int, [Double]) -> [Double]

    /// torch.optim.SGD pseudo-code.
    static func sgd(_ theta0: [Float], steps: Int, lr: Double, momentum mu: Double = 0, dampening tau: Double = 0,
                    weightDecay wd: Double = 0, nesterov: Bool = false, gradient: Gradient) -> [Double] {
        var theta = theta0.map(Double.init)
        var b = [Double](repeating: 0, count: theta.count)
        for t in 1...steps {
            let raw = gradient(t - 1, theta)
            for i in theta.indices {
                var g = raw[i]
                if wd != 0 { g += wd * theta[i] }
                if mu != 0 {
                    b[i] = t > 1 ? mu * b[i] + (1 - tau) * g : g
                    g = nesterov ? g + mu * b[i] : b[i]
                }
                theta[i] -= lr * g
            }
        }
        return theta
    }

    /// torch.optim.Adam (weightDecay = L2 added to g) and torch.optim.AdamW (decoupled).
    static func adam(_ theta0: [Float], steps: Int, lr: Double, betas: (Double, Double) = (0.9, 0.999),
                     eps: Double = 1e-8, weightDecay wd: Double = 0, decoupledWeightDecay dwd: Double = 0,
                     gradient: Gradient) -> [Double] {
        var theta = theta0.map(Double.init)
        var m = [Double](repeating: 0, count: theta.count), v = m
        for t in 1...steps {
            let raw = gradient(t - 1, theta)
            for i in theta.indices {
                theta[i] -= lr * dwd * theta[i]
                let g = raw[i] + wd * theta[i]
                m[i] = betas.0 * m[i] + (1 - betas.0) * g
                v[i] = betas.1 * v[i] + (1 - betas.1) * g * g
                let mHat = m[i] / (1 - pow(betas.0, Double(t)))
                let vHat = v[i] / (1 - pow(betas.1, Double(t)))
                theta[i] -= lr * mHat / (sqrt(vHat) + eps)
            }
        }
        return theta
    }

    /// torch.optim.RMSprop pseudo-code.
    static func rmsprop(_ theta0: [Float], steps: Int, lr: Double, alpha: Double = 0.99, eps: Double = 1e-8,
                        weightDecay wd: Double = 0, momentum mu: Double = 0, centered: Bool = false,
                        gradient: Gradient) -> [Double] {
        var theta = theta0.map(Double.init)
        var v = [Double](repeating: 0, count: theta.count), b = v, gAvg = v
        for t in 1...steps {
            let raw = gradient(t - 1, theta)
            for i in theta.indices {
                let g = raw[i] + wd * theta[i]
                v[i] = alpha * v[i] + (1 - alpha) * g * g
                var vTilde = v[i]
                if centered {
                    gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g
                    vTilde -= gAvg[i] * gAvg[i]
                }
                if mu > 0 {
                    b[i] = mu * b[i] + g / (sqrt(vTilde) + eps)
                    theta[i] -= lr * b[i]
                } else {
                    theta[i] -= lr * g / (sqrt(vTilde) + eps)
                }
            }
        }
        return theta
    }

    /// torch.optim.Adagrad pseudo-code (state_sum starts at the initial accumulator value).
    static func adagrad(_ theta0: [Float], steps: Int, lr: Double, lrDecay: Double = 0, weightDecay wd: Double = 0,
                        initialAccumulator: Double = 0, eps: Double = 1e-10, gradient: Gradient) -> [Double] {
        var theta = theta0.map(Double.init)
        var sum = [Double](repeating: initialAccumulator, count: theta.count)
        for t in 1...steps {
            let raw = gradient(t - 1, theta)
            let clr = lr / (1 + Double(t - 1) * lrDecay)
            for i in theta.indices {
                let g = raw[i] + wd * theta[i]
                sum[i] += g * g
                theta[i] -= clr * g / (sqrt(sum[i]) + eps)
            }
        }
        return theta
    }
}

/// The reference result rounded to Float, for `expectClose`.
func floats(_ x: [Double]) -> [Float] { x.map(Float.init) }
