// Chapter 1 — a single neuron, then the perceptron.
//
// Run: swift run -c release SingleNeuron
//
// A neuron does two things:
//   1. It weighs its inputs and adds a bias:   z = w₁x₁ + w₂x₂ + … + wₙxₙ + b   (= w·x + b)
//      Each weight says how much (and in which direction) one input pushes the neuron.
//      The bias shifts the point at which the neuron starts to respond.
//   2. It passes z through an activation function, a = f(z). Without it, stacking neurons
//      would only ever give another linear function; with it, networks can bend.
//
// In Synapse a layer of neurons is `Linear` (z = x·Wᵀ + b, one row of W per neuron), and
// activations are functions such as `relu` and `sigmoid`.

import SynapseCore
import SynapseNN

/// Formats a number with four decimals (no Foundation needed).
func show(_ v: Float) -> String {
    let scaled = (Double(v) * 10_000).rounded() / 10_000
    return String(scaled)
}

/// Formats a list of numbers.
func show(_ values: [Float]) -> String { "[" + values.map(show).joined(separator: ", ") + "]" }

// MARK: - 1. One neuron, computed by hand and by Synapse

print("1. One neuron")
print("-------------")
let inputs: [Float] = [2, 3, 1]
let weights: [Float] = [0.5, -0.3, 0.8]
let biasValue: Float = 0.1

// By hand: multiply each input by its weight, add them up, add the bias.
var zByHand = biasValue
for (x, w) in zip(inputs, weights) { zByHand += x * w }
print("inputs  x = \(show(inputs))")
print("weights w = \(show(weights)),  bias b = \(show(biasValue))")
print("z = 2·0.5 + 3·(−0.3) + 1·0.8 + 0.1 = \(show(zByHand))")

// With Synapse: a Linear layer with 3 inputs and 1 output IS one neuron. We overwrite its
// random initial weights with ours so the numbers match the hand computation.
var rng = RandomGenerator(seed: 0)
let neuron = Linear(inputSize: 3, outputSize: 1, rng: &rng)
_ = neuron.weight.data.update(fromContentsOf: weights)
neuron.bias!.pointer[0] = biasValue

let x = Tensor(shape: [1, 3], values: inputs)   // a batch of one example: [N = 1, 3]
let z = neuron(x)                                // [1, 1]
print("Linear(3 → 1) gives z = \(show(z.item()))")

// The activation decides what the neuron "fires". ReLU keeps positive values and cuts
// negatives to 0; sigmoid squashes any z into (0, 1), handy for a probability.
let a = relu(z)
print("ReLU(z)    = max(0, z)       = \(show(a.item()))")
print("sigmoid(z) = 1 / (1 + e^−z)  = \(show(sigmoid(z).item()))")

// MARK: - 2. How the output changes with each weight: the gradient

// Learning means nudging the weights so the output gets better. To know which way to nudge,
// we need ∂a/∂w: how much a changes per unit change of each weight. Because z = w·x + b,
// ∂z/∂wᵢ = xᵢ, and ReLU passes the gradient through unchanged when z > 0, so ∂a/∂w = x.
// `backward()` computes exactly this by walking the computation in reverse.
print()
print("2. The gradient")
print("---------------")
a.backward(gradient: Tensor(shape: [1, 1], values: [1]))
print("∂ReLU(z)/∂w = \(show(neuron.weight.grad!.scalars))   (equals the input x, since z > 0)")
print("∂ReLU(z)/∂b = \(show(neuron.bias!.grad!.item()))")
print("So the weight on the largest input (x₂ = 3) moves the output the most.")

// MARK: - 3. The perceptron learns AND and OR

// Rosenblatt's perceptron (1958) is a neuron with a step activation: it outputs 1 when
// z > 0, else 0. Its learning rule needs no calculus: for each example, if the prediction
// is wrong, move the weights toward the input (when it should have fired) or away from it
// (when it should not have):   w ← w + η (target − prediction) x,   b ← b + η (target − prediction).
// For data that a straight line can separate (AND, OR) this is guaranteed to converge.
print()
print("3. Perceptron learning rule")
print("---------------------------")

/// Trains a 2-input perceptron on the four rows of a truth table until it classifies every
/// row correctly, and prints what it learned.
func trainPerceptron(name: String, targets: [Float], learningRate: Float = 0.1) {
    let table: [[Float]] = [[0, 0], [0, 1], [1, 0], [1, 1]]
    var unused = RandomGenerator(seed: 1)   // Linear wants an initializer; we zero it below
    let unit = Linear(inputSize: 2, outputSize: 1, rng: &unused)
    unit.weight.data.update(repeating: 0)   // start from zero: every change is the rule's
    unit.bias!.pointer[0] = 0
    let xs = Tensor(shape: [4, 2], values: table.flatMap { $0 })
    for epoch in 1...100 {
        var mistakes = 0
        for (row, target) in zip(table, targets) {
            // The rule updates the weights by hand, so no gradient tape is needed.
            let z = noGrad { unit(Tensor(shape: [1, 2], values: row)).item() }
            let prediction: Float = z > 0 ? 1 : 0
            let error = target - prediction
            if error != 0 {
                mistakes += 1
                for i in 0..<2 { unit.weight.pointer[i] += learningRate * error * row[i] }
                unit.bias!.pointer[0] += learningRate * error
            }
        }
        if mistakes == 0 {
            let outputs = noGrad { unit(xs).scalars.map { $0 > 0 ? Float(1) : 0 } }
            print("\(name): learned in \(epoch) epochs; w = \(show(unit.weight.scalars)), b = \(show(unit.bias!.item()))")
            for (row, out) in zip(table, outputs) {
                print("   \(Int(row[0])) \(name) \(Int(row[1])) = \(Int(out))")
            }
            return
        }
    }
    print("\(name): not learned in 100 epochs")
}

trainPerceptron(name: "AND", targets: [0, 0, 0, 1])
trainPerceptron(name: "OR", targets: [0, 1, 1, 1])
print()
print("XOR (0 1 1 0) cannot be learned by one perceptron: no straight line separates it.")
print("That is why networks stack neurons in layers — see the QuickStart example.")
