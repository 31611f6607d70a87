// Backpropagation — the chain rule, applied layer by layer in reverse.
//
// Run: swift run -c release Backpropagation
//
// A network is a chain of simple functions: x → z₁ = W₁x + b₁ → h = tanh(z₁) → z₂ = W₂h + b₂
// → ŷ = σ(z₂) → loss L. To learn, we need ∂L/∂(every weight). The chain rule says that the
// derivative of a chain is the product of the derivatives of its links:
//
//     ∂L/∂W₁ = ∂L/∂ŷ · ∂ŷ/∂z₂ · ∂z₂/∂h · ∂h/∂z₁ · ∂z₁/∂W₁
//
// Backpropagation evaluates this product from the LEFT, starting at the loss: each layer
// receives "how much the loss changes per unit change of my output", multiplies it by its
// own local derivatives — giving δ = ∂L/∂z for its pre-activation z and the gradients of its
// weights — and hands the result to the layer below. Each partial product is computed once
// and reused by every layer underneath, so the whole gradient costs only about twice the
// forward pass, however many weights there are.
//
// This chapter does it three ways on the 2 → 3 → 1 network that solves XOR (SingleNeuron
// showed that one neuron cannot): by hand in plain Swift arrays, with Synapse's autograd
// (`backward()`), and numerically with finite differences. All three agree. Then it trains.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GuideFormatting
import SynapseCore
import SynapseNN
import SynapseOptim

/// Prints a matrix with one row per line, indented.
func printMatrix(_ name: String, _ rows: [[Double]], digits: Int = 4) {
    for (i, row) in rows.enumerated() {
        let label = i == 0 ? name : String(repeating: " ", count: name.count)
        print("   \(label) \(fixed(row, digits))")
    }
}

// MARK: - 1. The network and the data

// XOR: four inputs, one per row of X, and the wanted output of each.
let X: [[Double]] = [[0, 0], [0, 1], [1, 0], [1, 1]]   // [N = 4, 2]
let y: [Double] = [0, 1, 1, 0]                          // [N = 4]
let N = Double(X.count)

/// The parameters of the 2 → 3 → 1 network, in plain Swift arrays.
struct TinyNet {
    var W1: [[Double]]   // [3, 2]: one row per hidden neuron, one column per input
    var b1: [Double]     // [3]
    var W2: [Double]     // [3]: the single output neuron's weights (W₂ is [1, 3])
    var b2: Double       // the output neuron's bias
}

// Fixed starting weights with few digits, so every number below can be checked on paper.
// (A real network draws them at random, as `Linear` does; the chain rule does not care.)
let start = TinyNet(W1: [[0.5, -0.5], [0.9, 0.8], [-0.7, 0.6]], b1: [0.1, -0.2, 0.3],
                    W2: [0.8, -0.6, 0.7], b2: 0)

print("1. The network: 2 inputs → 3 tanh neurons → 1 sigmoid neuron")
print("------------------------------------------------------------")
print("   X = [[0, 0], [0, 1], [1, 0], [1, 1]]   (N = 4 rows, one example each)")
print("   y = [0, 1, 1, 0]                       (x₁ XOR x₂)")
printMatrix("W1 =", start.W1, digits: 1)
print("   b1 = \(fixed(start.b1, 1)),  W2 = \(fixed(start.W2, 1)),  b2 = \(fixed(start.b2, 1))")

// MARK: - 2. Forward pass by hand

/// Everything the forward pass computes; the backward pass reuses it (that is why training
/// keeps activations in memory).
struct ForwardPass {
    var z1: [[Double]] = []   // [4, 3] hidden pre-activations
    var h: [[Double]] = []    // [4, 3] hidden activations
    var z2: [Double] = []     // [4]    output pre-activations
    var p: [Double] = []      // [4]    predictions ŷ
    var loss: Double = 0
}

/// ŷ = σ(W₂·tanh(W₁x + b₁) + b₂) for every row of X, and the binary cross-entropy
/// L = −(1/N) Σₙ [yₙ log ŷₙ + (1 − yₙ) log(1 − ŷₙ)].
func forward(_ net: TinyNet) -> ForwardPass {
    var f = ForwardPass()
    for (x, target) in zip(X, y) {
        // z₁ = W₁x + b₁: each hidden neuron weighs the two inputs.
        let z1 = (0..<3).map { j in net.W1[j][0] * x[0] + net.W1[j][1] * x[1] + net.b1[j] }
        let h = z1.map { tanh($0) }
        // z₂ = W₂h + b₂: the output neuron weighs the three hidden values.
        let z2 = zip(net.W2, h).reduce(net.b2) { $0 + $1.0 * $1.1 }
        let p = 1 / (1 + exp(-z2))
        f.z1.append(z1); f.h.append(h); f.z2.append(z2); f.p.append(p)
        f.loss -= (target * log(p) + (1 - target) * log(1 - p)) / N
    }
    return f
}

let pass = forward(start)
print()
print("2. Forward pass by hand")
print("-----------------------")
print("   z1 = X·W1ᵀ + b1  [4, 3];  h = tanh(z1):")
printMatrix("h  =", pass.h)
print("   z2 = h·W2ᵀ + b2  [4];  ŷ = σ(z2) = 1 / (1 + e^−z2):")
print("   ŷ  = \(fixed(pass.p))")
print("   L  = −mean(y·log ŷ + (1 − y)·log(1 − ŷ)) = \(fixed(pass.loss, 6))")

// MARK: - 3. Backward pass by hand: the chain rule, from the loss down

/// ∂L/∂(each parameter), with the same layout as `TinyNet`.
typealias Gradients = TinyNet

/// The backward pass: one δ per layer, each computed from the δ of the layer above.
func backward(_ net: TinyNet, _ f: ForwardPass) -> (Gradients, delta2: [Double], delta1: [[Double]]) {
    var g = Gradients(W1: [[0, 0], [0, 0], [0, 0]], b1: [0, 0, 0], W2: [0, 0, 0], b2: 0)
    var delta2: [Double] = [], delta1: [[Double]] = []
    for n in 0..<X.count {
        // Output layer. Two links of the chain:
        //   ∂L/∂ŷ  = −(1/N)(y/ŷ − (1 − y)/(1 − ŷ)) = (ŷ − y) / (ŷ(1 − ŷ)) / N
        //   ∂ŷ/∂z₂ = σ'(z₂) = ŷ(1 − ŷ)
        // Their product, δ₂ = ∂L/∂z₂, simplifies to (ŷ − y)/N: sigmoid and cross-entropy are
        // made for each other (the same cancellation makes softmax + cross-entropy simple).
        let p = f.p[n]
        let dLdp = (p - y[n]) / (p * (1 - p)) / N
        let d2 = dLdp * p * (1 - p)                                    // δ₂ [scalar per row]
        delta2.append(d2)
        // z₂ = W₂h + b₂, so ∂z₂/∂W₂ⱼ = hⱼ and ∂z₂/∂b₂ = 1:   ∂L/∂W₂ = δ₂·hᵀ, ∂L/∂b₂ = δ₂,
        // summed over the rows of the batch (each example adds its share).
        for j in 0..<3 { g.W2[j] += d2 * f.h[n][j] }
        g.b2 += d2
        // Hidden layer. ∂z₂/∂hⱼ = W₂ⱼ carries δ₂ down to the hidden outputs, then
        // ∂hⱼ/∂z₁ⱼ = tanh'(z₁ⱼ) = 1 − hⱼ² carries it through the activation:
        //   δ₁ⱼ = ∂L/∂z₁ⱼ = δ₂ · W₂ⱼ · (1 − hⱼ²)
        let d1 = (0..<3).map { j in d2 * net.W2[j] * (1 - f.h[n][j] * f.h[n][j]) }   // δ₁ [3]
        delta1.append(d1)
        // z₁ = W₁x + b₁, so the same pattern as above:   ∂L/∂W₁ = δ₁·xᵀ, ∂L/∂b₁ = δ₁.
        // (Summed over the batch, Σₙ δ₁ₙ·xₙᵀ is one matrix product δ₁ᵀ [3, 4] · X [4, 2]: that
        // is how Synapse's `linear` backward computes it, dW += dyᵀ·x, in one GEMM.)
        for j in 0..<3 {
            for i in 0..<2 { g.W1[j][i] += d1[j] * X[n][i] }
            g.b1[j] += d1[j]
        }
    }
    return (g, delta2, delta1)
}

let (byHand, delta2, delta1) = backward(start, pass)
print()
print("3. Backward pass by hand (chain rule, output layer first)")
print("---------------------------------------------------------")
print("   δ2 = ∂L/∂z2 = ∂L/∂ŷ · σ'(z2) = (ŷ − y)/N          [4]")
print("      = \(fixed(delta2, 6))")
print("   ∂L/∂W2 = Σₙ δ2ₙ · hₙ   (δ·inputᵀ, summed over the batch) = \(fixed(byHand.W2, 6))")
print("   ∂L/∂b2 = Σₙ δ2ₙ = \(fixed(byHand.b2, 6))")
print("   δ1 = ∂L/∂z1 = (δ2 · W2) ⊙ (1 − h²)                 [4, 3]")
printMatrix("   =", delta1, digits: 6)
print("   ∂L/∂W1 = Σₙ δ1ₙ · xₙᵀ  [3, 2], ∂L/∂b1 = Σₙ δ1ₙ  [3]   (values in section 4)")

// MARK: - 4. The same gradients from Synapse's autograd

// The same network as Synapse layers, with the same starting weights. `Sequential` names
// the parameters "hidden.weight", "hidden.bias", "output.weight", "output.bias".
var rng = RandomGenerator(seed: 3, stream: RandomGenerator.Stream.initialization)
let hidden = Linear(inputSize: 2, outputSize: 3, rng: &rng)   // [N, 2] → [N, 3]
let output = Linear(inputSize: 3, outputSize: 1, rng: &rng)   // [N, 3] → [N, 1]
let model = Sequential(named: [("hidden", hidden), ("tanh", Tanh()), ("output", output), ("sigmoid", Sigmoid())])
_ = hidden.weight.data.update(fromContentsOf: start.W1.flatMap { $0 }.map { Float($0) })
_ = hidden.bias!.data.update(fromContentsOf: start.b1.map { Float($0) })
_ = output.weight.data.update(fromContentsOf: start.W2.map { Float($0) })
output.bias!.pointer[0] = Float(start.b2)

let inputs = Tensor(shape: [4, 2], values: X.flatMap { $0 }.map { Float($0) })   // [4, 2]
let targets = Tensor(shape: [4, 1], values: y.map { Float($0) })                 // [4, 1]

// Each op records what it read; backward() replays the records in reverse, and each op's
// backward rule is one link of the chain above (Linear: δ·inputᵀ; tanh: 1 − h²; ...).
let loss = binaryCrossEntropy(model(inputs), targets)
loss.backward()
let autograd: [(String, [Double])] = [
    ("W1", hidden.weight.grad!.scalars.map(Double.init)), ("b1", hidden.bias!.grad!.scalars.map(Double.init)),
    ("W2", output.weight.grad!.scalars.map(Double.init)), ("b2", output.bias!.grad!.scalars.map(Double.init)),
]

// MARK: - 4, continued: the same gradients from finite differences

// The definition of a derivative, with no calculus at all: nudge one weight by ±ε and see
// how the loss moves, ∂L/∂w ≈ (L(w + ε) − L(w − ε)) / 2ε. The central difference is accurate
// to O(ε²); in Double, ε = 1e-6 leaves an error around 1e-10. It costs two forward passes
// PER WEIGHT (a million-weight network: two million passes), which is why nobody trains
// this way, but it is the standard check that a backward rule is right.
func numericalGradient(_ weight: WritableKeyPath<TinyNet, Double>, epsilon: Double = 1e-6) -> Double {
    var plus = start, minus = start
    plus[keyPath: weight] += epsilon
    minus[keyPath: weight] -= epsilon
    return (forward(plus).loss - forward(minus).loss) / (2 * epsilon)
}

let numerical: [(String, [Double])] = [
    ("W1", (0..<3).flatMap { j in (0..<2).map { i in numericalGradient(\TinyNet.W1[j][i]) } }),
    ("b1", (0..<3).map { j in numericalGradient(\TinyNet.b1[j]) }),
    ("W2", (0..<3).map { j in numericalGradient(\TinyNet.W2[j]) }),
    ("b2", [numericalGradient(\TinyNet.b2)]),
]
let chainRule: [(String, [Double])] = [
    ("W1", byHand.W1.flatMap { $0 }), ("b1", byHand.b1), ("W2", byHand.W2), ("b2", [byHand.b2]),
]

print()
print("4. Check: the chain rule vs Synapse's autograd vs finite differences")
print("---------------------------------------------------------------------")
print("   Synapse's loss: \(fixed(Double(loss.item()), 6))   (by hand: \(fixed(pass.loss, 6)))")
var largestDifference = 0.0
for ((name, hand), ((_, auto), (_, numeric))) in zip(chainRule, zip(autograd, numerical)) {
    let label = "∂L/∂" + name + (name.count < 2 ? " " : "")
    print("   \(label)  chain rule  \(fixed(hand, 6))")
    print("   \(label)  autograd    \(fixed(auto, 6))")
    print("   \(label)  numerical   \(fixed(numeric, 6))")
    for (a, (b, c)) in zip(hand, zip(auto, numeric)) {
        largestDifference = max(largestDifference, abs(a - b), abs(a - c))
    }
}
print("   Largest difference: \(scientific(largestDifference))  (Synapse computes in Float: about 7 digits)")
print("   W1 is listed row by row: [W1₁₁, W1₁₂, W1₂₁, W1₂₂, W1₃₁, W1₃₂].")

// MARK: - 5. Training: gradient descent on these gradients

// Gradient descent moves every weight a small step against its gradient, w ← w − η·∂L/∂w,
// and repeats. We do it twice, side by side: with the hand-written backward pass above, and
// with Synapse (autograd + the `SGD` optimizer without momentum, which is exactly this rule).
let learningRate = 0.5, steps = 1000

var net = start
for _ in 0..<steps {
    let (g, _, _) = backward(net, forward(net))
    for j in 0..<3 {
        for i in 0..<2 { net.W1[j][i] -= learningRate * g.W1[j][i] }
        net.b1[j] -= learningRate * g.b1[j]
        net.W2[j] -= learningRate * g.W2[j]
    }
    net.b2 -= learningRate * g.b2
}

// Synapse keeps all parameters in one arena; the optimizer updates it in one flat loop.
let arena = ParameterArena(parameters: model.namedParameters())
let sgd = try SGD(arena: arena, learningRate: Float(learningRate))
print()
print("5. Training with gradient descent (η = \(learningRate), full batch of 4)")
print("-------------------------------------------------------------")
for step in 0...steps {
    arena.zeroGrads()   // backward() ADDS into .grad, so clear last step's first
    let stepLoss = binaryCrossEntropy(model(inputs), targets)
    if [0, 10, 100, 300, steps].contains(step) {
        let label = String(step)
        print("   step \(String(repeating: " ", count: 4 - label.count) + label): loss \(fixed(Double(stepLoss.item()), 6))")
    }
    if step == steps { break }
    stepLoss.backward()
    sgd.step()
}

let handPredictions = forward(net).p
let synapsePredictions = noGrad { model(inputs).scalars.map(Double.init) }
func rounded(_ p: [Double]) -> String { p.map { $0 >= 0.5 ? "1" : "0" }.joined(separator: " ") }
print()
print("   x        target   ŷ by hand   ŷ Synapse")
for n in 0..<4 {
    print("   (\(Int(X[n][0])), \(Int(X[n][1])))   \(Int(y[n]))        \(fixed(handPredictions[n]))      \(fixed(synapsePredictions[n]))")
}
print("   ŷ by hand = \(fixed(handPredictions))  → rounds to \(rounded(handPredictions))")
print("   ŷ Synapse = \(fixed(synapsePredictions))  → rounds to \(rounded(synapsePredictions))")
print()
print("XOR is solved: the hidden layer bent the input space so that one more neuron can")
print("separate it. Everything that made it learn was the chain rule, one layer at a time.")
