// Quick Start — a small multi-layer network in a few lines.
//
// Run: swift run -c release QuickStart
//
// A network is neurons arranged in layers. `Linear(10 → 64)` is 64 neurons that each read
// all 10 inputs; `ReLU` bends their outputs; the next layer reads those 64 values; and so
// on. `Sequential` chains the layers and names them "0", "1", "2", ... like PyTorch, so
// every parameter has a stable name such as "0.weight".

import SynapseCore
import SynapseNN

// One generator per purpose, seeded: the same seed builds the same network every time.
var initRNG = RandomGenerator(seed: 42, stream: RandomGenerator.Stream.initialization)

let model = Sequential(
    Linear(inputSize: 10, outputSize: 64, rng: &initRNG),   // "0": [N, 10] → [N, 64]
    ReLU(),                                                 // "1": no parameters
    Linear(inputSize: 64, outputSize: 32, rng: &initRNG),   // "2": [N, 64] → [N, 32]
    ReLU(),                                                 // "3"
    Linear(inputSize: 32, outputSize: 2, rng: &initRNG))    // "4": [N, 32] → [N, 2]

print("Model parameters (name, shape, count):")
for (name, tensor) in model.namedParameters() {
    let padded = name + String(repeating: " ", count: max(0, 10 - name.count))
    print("  \(padded) \(tensor.shape)  \(tensor.count)")
}
// weight [out, in] has out·in numbers, bias [out] has out:
// 10·64 + 64 + 64·32 + 32 + 32·2 + 2 = 640 + 64 + 2048 + 32 + 64 + 2 = 2850
print("Total: \(model.parameterCount) parameters (10·64 + 64 + 64·32 + 32 + 32·2 + 2)")

// One random example with 10 features: a batch of N = 1, shape [1, 10].
var dataRNG = RandomGenerator(seed: 42, stream: RandomGenerator.Stream.dataOrder)
let x = Tensor(shape: [1, 10], values: (0..<10).map { _ in dataRNG.nextNormal() })

// Evaluation needs no gradient tape: noGrad skips recording.
model.eval()
let logits = noGrad { model(x) }
print()
print("Input  x: shape \(x.shape)")
print("Output:   shape \(logits.shape), values \(logits.scalars)")

// The two outputs are scores (logits) for two classes; softmax turns them into
// probabilities that sum to 1.
let probabilities = softmax(logits).scalars
print("softmax:  \(probabilities)  (sum \(probabilities.reduce(0, +)))")

// One training signal: the loss for "the right class is 1" and its gradient. After
// backward(), every parameter's .grad says how to change it to lower the loss.
model.train()
let loss = crossEntropy(logits: model(x), labels: [1])
loss.backward()
let gradientNorm = model.namedParameters()
    .map { $0.tensor.grad!.scalars.reduce(0) { $0 + $1 * $1 } }
    .reduce(0, +).squareRoot()
print()
print("Cross-entropy loss for label 1: \(loss.item())")
print("Gradient norm over all \(model.parameterCount) parameters: \(gradientNorm)")
