import SynapseCore
import SynapseOptim

/// An arena holding the given trainable parameters (in order).
func makeArena(_ parameters: [(name: String, values: [Float])]) -> ParameterArena {
    ParameterArena(parameters: parameters.map { p in
        (p.name, Tensor(shape: [p.values.count], values: p.values, requiresGrad: true))
    })
}

/// The fixed problem of the exact-value tests: θ₀ = [1, −2, 0.5] in one parameter `w`.
let initialTheta: [Float] = [1, -2, 0.5]

/// Fixed gradients for steps 1, 2, 3 (element 0 is the one worked out by hand in the tests).
let fixedGradients: [[Float]] = [[0.5, -1, 0], [0.25, 2, -0.5], [-1, 0.5, 1]]

/// A gradient that depends on θ (so weight decay and step size errors feed back into later
/// steps): g = a ⊙ (θ − c) + fixed gradient of the step, the gradient of a shifted quadratic.
func quadraticGradient(step: Int, theta: [Double]) -> [Double] {
    let a: [Double] = [1.5, 0.5, 3], c: [Double] = [0.2, -1, 2]
    return theta.indices.map { i in a[i] * (theta[i] - c[i]) + Double(fixedGradients[step % 3][i]) }
}

/// Runs `steps` steps: before each, writes `gradient(stepIndex, θ)` (computed from the arena's
/// current values) into the gradient buffer of the first `theta.count` elements.
func run(_ optimizer: some Optimizer, steps: Int, from first: Int = 0,
         gradient: (Int, [Double]) -> [Double]) {
    let arena = optimizer.arena
    for s in first..<(first + steps) {
        let theta = Array(arena.values).map(Double.init)
        let g = gradient(s, theta)
        for i in g.indices { arena.grads[i] = Float(g[i]) }
        optimizer.step()
    }
}

/// Fixed gradients, ignoring θ.
func fixed(step: Int, theta: [Double]) -> [Double] { fixedGradients[step].map(Double.init) }

/// The arena's values as a Swift array.
func values(_ arena: ParameterArena) -> [Float] { Array(arena.values) }
