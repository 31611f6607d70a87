// Optimizers — one gradient, six ways to step along it.
//
// Run: swift run -c release Optimizers
//
// Backpropagation gives the gradient g = ∂L/∂θ: the direction in which the loss rises
// fastest. Every optimizer steps against it, but they disagree on HOW FAR and on what to
// remember between steps:
//
//   gradient descent   θ ← θ − γ·g                         no memory
//   momentum           b ← μ·b + g;   θ ← θ − γ·b          a velocity: past gradients keep pushing
//   Nesterov           b ← μ·b + g;   θ ← θ − γ·(g + μ·b)  the same, looking one step ahead
//   AdaGrad            s ← s + g²;    θ ← θ − γ·g/√s       per-weight steps that only shrink
//   RMSprop            v ← α·v + (1−α)·g²;  θ ← θ − γ·g/√v  per-weight steps from a moving average
//   Adam               momentum on g AND RMSprop on g², both bias-corrected
//
// (element by element; Synapse's optimizers follow PyTorch's rules exactly, see
// Sources/SynapseOptim.) This chapter runs all six on a long, narrow valley — the shape that
// makes plain gradient descent slow — and then on a small neural network.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GuideFormatting
import SynapseCore
import SynapseData
import SynapseNN
import SynapseOptim

// MARK: - The contenders

/// One optimizer with its learning rate.
struct Contender {
    let name: String
    let learningRate: Float
    let make: (ParameterArena, Float) throws -> any Optimizer
}

// Each optimizer gets its own learning rate: γ means something different to each (a step
// in units of the gradient for SGD, a step in units of the parameter for Adam and AdaGrad,
// see section 1). These are roughly each one's best on the valley below from a coarse grid
// (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, ..., 2); other values change the numbers,
// not the pattern.
let valleyContenders = [
    Contender(name: "gradient descent", learningRate: 0.019) { try SGD(arena: $0, learningRate: $1) },
    Contender(name: "momentum 0.9", learningRate: 0.01) { try SGD(arena: $0, learningRate: $1, momentum: 0.9) },
    Contender(name: "Nesterov 0.9", learningRate: 0.01) {
        try SGD(arena: $0, learningRate: $1, momentum: 0.9, nesterov: true)
    },
    Contender(name: "AdaGrad", learningRate: 1.0) { try Adagrad(arena: $0, learningRate: $1) },
    Contender(name: "RMSprop", learningRate: 0.1) { try RMSprop(arena: $0, learningRate: $1) },
    Contender(name: "Adam", learningRate: 0.1) { try Adam(arena: $0, learningRate: $1) },
]

// MARK: - The valley: an ill-conditioned quadratic

// f(θ) = ½ θᵀAθ with A = diag(1, 100): f(x, y) = ½(x² + 100·y²), minimum 0 at (0, 0).
// Its gradient is Aθ = (x, 100·y): the valley is 100 times steeper across (y) than along
// (x). The ratio of the largest to the smallest curvature, 100, is the CONDITION NUMBER;
// the larger it is, the harder the problem is for gradient descent (next section).
let aligned: [Float] = [1, 0, 0, 100]   // A [2, 2], row-major

// The same valley turned by 45°: A' = R·A·Rᵀ, started from the turned point R·θ₀. It is the
// same problem seen in other coordinates, so any method that does not care about the
// coordinate axes must give exactly the same numbers on it.
let c = Float(0.5).squareRoot()           // cos 45° = sin 45°
let rotation: [Float] = [c, -c, c, c]     // R [2, 2]
func product(_ a: [Float], _ b: [Float]) -> [Float] {   // 2×2 matrix product
    [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]]
}
let rotated = product(product(rotation, aligned), [c, c, -c, c])   // R·A·Rᵀ = [[50.5, −49.5], [−49.5, 50.5]]
let start: [Float] = [-4, 1]
let rotatedStart: [Float] = [c * start[0] - c * start[1], c * start[0] + c * start[1]]   // R·θ₀

/// f(θ) = ½ θᵀAθ built from Synapse ops, so autograd supplies ∇f = Aθ (A is symmetric).
/// - Shape: theta [1, 2], A [2, 2] → [1].
func valleyLoss(_ theta: Tensor, _ A: Tensor) -> Tensor {
    scale(sum(multiply(matmul(theta, A), theta)), by: 0.5)   // ½ Σⱼ (θA)ⱼ θⱼ
}

/// Runs `contender` for `steps` steps from `start` and returns f after each step (index 0:
/// before any step) and the parameters after the first step.
func descend(_ contender: Contender, matrix: [Float], from start: [Float], steps: Int) throws
    -> (losses: [Double], firstStep: [Float]) {
    let theta = Tensor(shape: [1, 2], values: start, requiresGrad: true)   // the parameters θ = (x, y)
    let arena = ParameterArena(parameters: [("theta", theta)])
    let optimizer = try contender.make(arena, contender.learningRate)
    let A = Tensor(shape: [2, 2], values: matrix)
    var losses: [Double] = [], firstStep: [Float] = []
    for step in 0...steps {
        arena.zeroGrads()
        let loss = valleyLoss(theta, A)
        losses.append(Double(loss.item()))
        if step == steps { break }
        loss.backward()
        optimizer.step()
        if step == 0 { firstStep = theta.scalars }
    }
    return (losses, firstStep)
}

// MARK: - 1. The first step, by hand

// From θ₀ = (−4, 1) the gradient is g = (x, 100·y) = (−4, 100). Each rule's first step can
// be worked out on paper; the library must agree.
//
//   gradient descent  Δθ = −γ·g = −0.019·(−4, 100) = (0.076, −1.9). The step across the
//                     valley is 25× the step along it, and overshoots y = 0 to y = −0.9.
//   momentum          the buffer starts AS the gradient (PyTorch's rule), so step 1 is
//                     plain gradient descent: −0.01·g = (0.04, −1).
//   Nesterov          looks ahead one step: −γ·(g + μ·g) = −0.019·g = (0.076, −1.9).
//   AdaGrad           s = g², so Δθ = −γ·g/|g| = −γ·sign(g) = (1, −1): every weight moves by
//                     γ, whatever the size of its gradient.
//   RMSprop           v = (1 − α)·g² = 0.01·g², so Δθ = −γ·g/(0.1·|g|) = −10·γ·sign(g) =
//                     (1, −1): ten times γ! v starts at 0 and is not corrected for it, so the
//                     first steps are too large — a known pitfall.
//   Adam              m = (1 − β₁)·g and v = (1 − β₂)·g² start just as small, but Adam divides
//                     them by (1 − β₁ᵗ) and (1 − β₂ᵗ) — the BIAS CORRECTION — so m̂ = g and
//                     √v̂ = |g|: Δθ = −γ·sign(g) = (0.1, −0.1), exactly the learning rate.
print("1. The first step from θ₀ = (−4, 1), where the gradient is g = (−4, 100)")
print("--------------------------------------------------------------------------")
let byHand: [String: [Double]] = [
    "gradient descent": [0.076, -1.9], "momentum 0.9": [0.04, -1], "Nesterov 0.9": [0.076, -1.9],
    "AdaGrad": [1, -1], "RMSprop": [1, -1], "Adam": [0.1, -0.1],
]
print("   \(pad("optimizer", 18)) \(pad("γ", 7)) \(pad("Δθ by Synapse", 20)) Δθ by hand")
for contender in valleyContenders {
    let (_, after) = try descend(contender, matrix: aligned, from: start, steps: 1)
    let delta = zip(after, start).map { Double($0 - $1) }
    let hand = byHand[contender.name]!
    print("   \(pad(contender.name, 18)) \(pad(fixed(Double(contender.learningRate), 3), 7)) "
          + "\(pad("(\(fixed(delta[0])), \(fixed(delta[1])))", 20)) (\(fixed(hand[0])), \(fixed(hand[1])))")
}

// MARK: - 2. The race down the valley

// Why each one behaves as it does (read with the table below):
//
// - Gradient descent is limited by the STEEP direction: with curvature 100 across the valley,
//   any γ above 2/100 = 0.02 makes y overshoot further each step and diverge. With γ = 0.019
//   the shallow direction (curvature 1) shrinks by only (1 − 0.019) per step, so x needs
//   hundreds of steps. The condition number decides the speed.
// - Momentum keeps a velocity b, a running sum of past gradients. Across the valley the
//   gradient flips sign every step, and those contributions cancel; along the valley it
//   always points the same way, and they add up (to 1/(1 − μ) = 10× the gradient). The
//   zig-zag is damped and the slow direction is sped up.
// - Nesterov evaluates the velocity's effect one step ahead, which brakes before an
//   overshoot instead of after: on a quadratic it is the fastest of the six.
// - AdaGrad, RMSprop and Adam divide each coordinate's step by that coordinate's typical
//   gradient size, which here is exactly the curvature difference: they UNDO the
//   ill-conditioning, and all three reach the bottom quickly. AdaGrad's sum s only grows,
//   so its steps shrink like 1/√t — fine here, but on a long training run it stalls.
//   RMSprop forgets old gradients (α = 0.99: a memory of ~100 steps), so its steps do not
//   decay; Adam adds momentum on top and corrects both averages' start at zero.
// - Turn the valley by 45° and its axes are no longer the coordinate axes: every gradient
//   now mixes the steep and the shallow direction in both coordinates, and a per-coordinate
//   scale cannot separate them. The three SGD variants only add and scale gradient vectors,
//   which a rotation does not change: they print the same numbers (up to Float rounding).
//   The adaptive methods lose most of their advantage.
// - None of the adaptive methods' steps shrink near the bottom by themselves (g/√v stays
//   about ±1 per coordinate), so with a fixed γ they can keep bouncing around the minimum
//   at a distance of about γ: on the turned valley RMSprop bounces so irregularly that when
//   (or whether) it dips below 1e-4 depends on Float rounding. A learning rate that decays
//   over training (LearningRateSchedule) is the usual cure.
print()
print("2. f(x, y) = ½(x² + 100·y²), from θ₀ = (−4, 1): loss after 100 steps, steps to reach f < 1e-4")
print("-----------------------------------------------------------------------------------------------")
let budget = 500, threshold = 1e-4
print("   \(pad("optimizer", 18)) \(pad("γ", 7)) \(pad("valley along the axes", 28)) valley turned by 45°")
for contender in valleyContenders {
    var columns: [String] = []
    for (matrix, from) in [(aligned, start), (rotated, rotatedStart)] {
        let (losses, _) = try descend(contender, matrix: matrix, from: from, steps: budget)
        let reached = losses.firstIndex { $0 < threshold }.map { "\($0) steps" } ?? "not in \(budget)"
        columns.append("\(scientific(losses[100]))  \(reached)")
    }
    print("   \(pad(contender.name, 18)) \(pad(fixed(Double(contender.learningRate), 3), 7)) \(pad(columns[0], 28)) \(columns[1])")
}
print("   The SGD family prints the same numbers for both valleys: it does not care about the axes.")
print("   The adaptive methods rescale each coordinate: a great help along the axes, little when turned.")

// MARK: - 3. A small network: two spirals

// A quadratic has one valley; a network's loss has many, with plateaus and curved ridges,
// and its gradient comes from data. Two interleaved spirals (Synthetic.twoSpirals) need a
// curved boundary, so a 2 → 32 → 32 → 2 tanh network must really learn. Every optimizer
// starts from the same weights and sees the full batch (no sampling noise), for the same
// number of steps, each with its best learning rate on the grid 0.002, 0.005, 0.01, 0.02,
// 0.05, 0.1, 0.2, 0.5, 1, 2 (measured with this program, changing γ).
//
// What the table shows, and what the grid showed:
// - The loss starts on a PLATEAU near 0.66: small initial weights give small gradients, and
//   plain SGD creeps along it. With γ ≤ 1 gradient descent was still there after 600 steps;
//   only γ = 2, the edge of divergence (the loss first goes UP), got it off.
// - Momentum accumulates the small, consistent plateau gradients into a real velocity
//   (about 1/(1 − μ) = 10× the gradient): it got off with γ = 0.2 and 0.5.
// - The adaptive methods divide by the gradient's own size, so a tiny gradient still gives
//   a full-sized step: they leave the plateau at once. AdaGrad then slows down (its sum of
//   squares keeps growing); RMSprop and Adam do not.
// - Robustness: the γ values that solved the task in 600 steps were 2 for gradient descent,
//   0.2–0.5 for (Nesterov) momentum, 0.05–0.2 for AdaGrad, 0.005–0.02 for RMSprop and
//   0.002–0.2 for Adam — two decades. That forgiveness is why Adam is the usual first choice.
let spirals = Synthetic.twoSpirals(pointsPerClass: 100, noise: 0.02, seed: 7)   // inputs [200, 2], labels [200]
let networkSteps = 600
let networkContenders = [
    Contender(name: "gradient descent", learningRate: 2) { try SGD(arena: $0, learningRate: $1) },
    Contender(name: "momentum 0.9", learningRate: 0.5) { try SGD(arena: $0, learningRate: $1, momentum: 0.9) },
    Contender(name: "Nesterov 0.9", learningRate: 0.5) {
        try SGD(arena: $0, learningRate: $1, momentum: 0.9, nesterov: true)
    },
    Contender(name: "AdaGrad", learningRate: 0.2) { try Adagrad(arena: $0, learningRate: $1) },
    Contender(name: "RMSprop", learningRate: 0.02) { try RMSprop(arena: $0, learningRate: $1) },
    Contender(name: "Adam", learningRate: 0.1) { try Adam(arena: $0, learningRate: $1) },
]

/// Trains a fresh copy of the same network with `contender` and returns the loss every
/// 100 steps and the final training accuracy.
func trainSpirals(_ contender: Contender, on spirals: ClassificationSet) throws -> (losses: [Double], accuracy: Double) {
    var rng = RandomGenerator(seed: 7, stream: RandomGenerator.Stream.initialization)   // same weights each time
    let model = Sequential(
        Linear(inputSize: 2, outputSize: 32, rng: &rng), Tanh(),    // [200, 2] → [200, 32]
        Linear(inputSize: 32, outputSize: 32, rng: &rng), Tanh(),   // → [200, 32]
        Linear(inputSize: 32, outputSize: 2, rng: &rng))            // → [200, 2] class scores
    let arena = ParameterArena(parameters: model.namedParameters())
    let optimizer = try contender.make(arena, contender.learningRate)
    var losses: [Double] = []
    for step in 0...networkSteps {
        arena.zeroGrads()
        let loss = crossEntropy(logits: model(spirals.inputs), labels: spirals.labels)
        if step % 100 == 0 { losses.append(Double(loss.item())) }
        if step == networkSteps { break }
        loss.backward()
        optimizer.step()
    }
    let scores = noGrad { model(spirals.inputs).scalars }   // [200, 2]
    let correct = spirals.labels.indices.filter { n in
        (scores[2 * n + 1] > scores[2 * n] ? 1 : 0) == spirals.labels[n]
    }.count
    return (losses, Double(correct) / Double(spirals.labels.count))
}

print()
print("3. Two spirals, 2 → 32 → 32 → 2 tanh network, full batch of 200: cross-entropy every 100 steps")
print("-----------------------------------------------------------------------------------------------")
print("   \(pad("optimizer", 18)) \(pad("γ", 7)) \(pad("loss at step 0, 100, ..., \(networkSteps)", 50)) accuracy")
for contender in networkContenders {
    let (losses, accuracy) = try trainSpirals(contender, on: spirals)
    let curve = losses.map { fixed($0, 4) }.joined(separator: " ")
    print("   \(pad(contender.name, 18)) \(pad(fixed(Double(contender.learningRate), 3), 7)) \(pad(curve, 50)) \(fixed(accuracy * 100, 1)) %")
}
print()
print("No optimizer wins everywhere: adaptive methods shine when the problem's scales are")
print("per-weight (as in networks, where layers see very different gradient sizes); momentum")
print("methods do not care how the problem is turned. Adam is the usual first choice; SGD with")
print("momentum, tuned, often generalizes as well or better on large image models.")
