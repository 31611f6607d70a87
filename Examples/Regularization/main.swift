// Regularization — when a network learns its training set too well, and four remedies.
//
// Run: swift run -c release Regularization
//
// Training lowers the loss on the TRAINING set, but what we want is a network that is right
// on points it has never seen. The two differ when the network has enough capacity to
// memorize: with thousands of weights and a hundred examples it can fit every point,
// including the ones whose labels are wrong, by drawing little islands around them. Those
// islands are OVERFITTING: the training loss keeps falling while the loss on held-out data
// (the VALIDATION set, never used for the gradient) stops falling and climbs again. The
// difference between training and validation accuracy, the GENERALIZATION GAP, measures it.
//
// More data is the best cure. When there is no more, regularization makes memorizing harder
// than learning the pattern:
//
//   L2 / weight decay   pull every weight towards 0 a little at every step
//   L1 penalty          push every weight towards 0 by a constant amount: many reach it
//   dropout             drop random hidden units while training, so none can rely on another
//   early stopping      keep the weights from the epoch where validation loss was lowest
//
// (Batch normalization also regularizes a little, through its noisy batch statistics; it has
// its own chapter.) This chapter builds a problem where a large network clearly overfits,
// then trains the SAME network from the SAME initial weights with each remedy and compares.
// References: Goodfellow, Bengio & Courville, "Deep Learning", ch. 7 (§7.1 penalties, §7.8
// early stopping, §7.12 dropout); Srivastava et al., "Dropout", JMLR 15 (2014); Loshchilov &
// Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GuideFormatting
import SynapseCore
import SynapseNN
import SynapseOptim

/// A fraction as a right-aligned percentage with one decimal, e.g. "  83.0 %".
func percent(_ fraction: Double, width: Int = 6) -> String { pad(fixed(fraction * 100, 1), width, left: false) + " %" }

// MARK: - 1. The data: two moons with some labels flipped

/// Points with integer labels. - Shape: inputs [N, 2], labels [N].
struct LabeledPoints {
    let inputs: Tensor
    let labels: [Int32]
}

/// The classic "two moons": class 0 on the upper half circle x = (cos t, sin t), class 1 on
/// the lower one (1 − cos t, 0.5 − sin t), t uniform in [0, π), centred near the origin; each
/// coordinate gets Gaussian noise of standard deviation `noise`, and each label is flipped
/// with probability `flip` — label noise that no network should learn.
/// - Shape: inputs [count, 2], labels [count]; also returns how many labels were flipped.
func noisyMoons(count: Int, noise: Float, flip: Float, seed: UInt64) -> (points: LabeledPoints, flipped: Int) {
    var rng = RandomGenerator(seed: seed, stream: RandomGenerator.Stream.initialization, 0x300D)
    var values: [Float] = [], labels: [Int32] = [], flipped = 0
    for n in 0..<count {
        let moon = n % 2, t = Float.pi * rng.nextUniform()
        let x = moon == 0 ? cos(t) : 1 - cos(t), y = moon == 0 ? sin(t) : 0.5 - sin(t)
        values += [x - 0.5 + noise * rng.nextNormal(), y - 0.25 + noise * rng.nextNormal()]
        let isFlipped = rng.nextUniform() < flip
        if isFlipped { flipped += 1 }
        labels.append(Int32(isFlipped ? 1 - moon : moon))
    }
    return (LabeledPoints(inputs: Tensor(shape: [count, 2], values: values), labels: labels), flipped)
}

// Few training points, many validation points from the same distribution (same noise, same
// one-in-ten flipped labels, different seed). A flipped validation label is wrong for every
// classifier, so about 90 % is the best any network can score there.
let (training, flippedInTraining) = noisyMoons(count: 100, noise: 0.2, flip: 0.1, seed: 1)       // [100, 2]
let (validation, flippedInValidation) = noisyMoons(count: 2000, noise: 0.2, flip: 0.1, seed: 2)  // [2000, 2]

// A network far larger than 100 points need: 2 → 64 → 64 → 2 with ReLU, 4,482 parameters.
let hidden = 64
let epochs = 2000                 // full-batch steps: every epoch is one step on all 100 points
let learningRate: Float = 0.005
let evaluationInterval = 10       // measure both sets every 10 epochs

/// The network, with the same initial weights every time (the generator is seeded the same
/// way; the dropout layers draw from their own generators, so they do not shift it).
/// - Shape: [N, 2] → [N, 2] class scores.
func makeNetwork(dropout p: Float) -> Sequential {
    var rng = RandomGenerator(seed: 7, stream: RandomGenerator.Stream.initialization)
    var layers: [Module] = [Linear(inputSize: 2, outputSize: hidden, rng: &rng), ReLU()]       // [N, 2] → [N, 64]
    if p > 0 { layers.append(Dropout(p: p, rng: RandomGenerator(seed: 7, stream: RandomGenerator.Stream.dropout, 1))) }
    layers += [Linear(inputSize: hidden, outputSize: hidden, rng: &rng), ReLU()]               // → [N, 64]
    if p > 0 { layers.append(Dropout(p: p, rng: RandomGenerator(seed: 7, stream: RandomGenerator.Stream.dropout, 2))) }
    layers.append(Linear(inputSize: hidden, outputSize: 2, rng: &rng))                         // → [N, 2]
    return Sequential(layers)
}

print("1. The data: two moons, one label in ten flipped; the network: 2 → 64 → 64 → 2 (ReLU)")
print("-------------------------------------------------------------------------------------")
print("   training set     100 points, inputs [100, 2]:  \(flippedInTraining) labels flipped")
print("   validation set  2000 points, inputs [2000, 2]: \(flippedInValidation) labels flipped "
      + "(best possible accuracy ≈ 90 %)")
print("   network parameters: \(makeNetwork(dropout: 0).parameterCount), about 45 per training point")

// MARK: - Training with a recipe

/// One way to train: plain AdamW plus (at most) one remedy.
struct Recipe {
    let name: String
    var weightDecay: Float = 0   // λ of AdamW's decoupled decay θ ← θ − γλθ
    var l1: Float = 0            // weight of the penalty l1·Σ|θ|
    var dropout: Float = 0       // probability of dropping a hidden unit
    var patience: Int? = nil     // early stopping: epochs to wait for a better validation loss
}

/// Loss and accuracy on both sets, measured at one epoch.
struct Measurement {
    let epoch: Int
    let trainLoss: Double, validationLoss: Double
    let trainAccuracy: Double, validationAccuracy: Double
    var gap: Double { trainAccuracy - validationAccuracy }
}

/// What one training run produced.
struct Run {
    let recipe: Recipe
    let history: [Measurement]      // every `evaluationInterval` epochs
    let final: Measurement          // of the weights the run ends with
    let weights: [Float]            // all weight matrices (not the biases), flattened
    let stoppedAt: Int?             // early stopping: the epoch training stopped
    let model: Sequential           // the trained network
}

/// Mean cross-entropy and accuracy of `model` on `points`, in evaluation mode (dropout off).
func measure(_ model: Module, on points: LabeledPoints) -> (loss: Double, accuracy: Double) {
    model.eval()
    defer { model.train() }
    return noGrad {
        let scores = model(points.inputs)                                           // [N, 2]
        let loss = Double(crossEntropy(logits: scores, labels: points.labels).item())
        let s = scores.scalars
        let correct = points.labels.indices.filter { n in (s[2 * n + 1] > s[2 * n] ? 1 : 0) == points.labels[n] }.count
        return (loss, Double(correct) / Double(points.labels.count))
    }
}

/// Trains a fresh network with `recipe`, full batch, for `epochs` epochs (fewer if it stops early).
func train(_ recipe: Recipe, on training: LabeledPoints, validation: LabeledPoints) throws -> Run {
    let model = makeNetwork(dropout: recipe.dropout)
    let arena = ParameterArena(parameters: model.namedParameters())
    // AdamW with weightDecay 0 is Adam; every recipe uses the same optimizer and step size.
    let optimizer = try AdamW(arena: arena, learningRate: learningRate, weightDecay: recipe.weightDecay)
    let penalty = try Regularization(l1: recipe.l1)
    var history: [Measurement] = []
    var best: (epoch: Int, loss: Double, values: [Float]) = (0, .infinity, [])
    var stoppedAt: Int?
    for epoch in 0...epochs {
        if epoch % evaluationInterval == 0 {
            let (trainLoss, trainAccuracy) = measure(model, on: training)
            let (validationLoss, validationAccuracy) = measure(model, on: validation)
            history.append(Measurement(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss,
                                       trainAccuracy: trainAccuracy, validationAccuracy: validationAccuracy))
            if let patience = recipe.patience {
                // Early stopping: remember the best weights (one copy of the arena), stop once
                // `patience` epochs have brought nothing better, and go back to them.
                if validationLoss < best.loss {
                    best = (epoch, validationLoss, Array(arena.values))
                } else if epoch - best.epoch >= patience {
                    _ = arena.values.update(fromContentsOf: best.values)
                    stoppedAt = epoch
                    break
                }
            }
        }
        if epoch == epochs { break }
        arena.zeroGrads()
        let loss = crossEntropy(logits: model(training.inputs), labels: training.labels)   // [100, 2] → [1]
        loss.backward()
        penalty.apply(to: arena)   // adds l1·sign(θ) to each gradient (nothing when l1 = 0)
        optimizer.step()
    }
    let (trainLoss, trainAccuracy) = measure(model, on: training)
    let (validationLoss, validationAccuracy) = measure(model, on: validation)
    let final = Measurement(epoch: stoppedAt == nil ? epochs : best.epoch, trainLoss: trainLoss,
                            validationLoss: validationLoss, trainAccuracy: trainAccuracy,
                            validationAccuracy: validationAccuracy)
    let weights = arena.entries.filter { $0.name.hasSuffix(".weight") }
        .flatMap { Array(arena.values[$0.offset..<($0.offset + $0.count)]) }
    return Run(recipe: recipe, history: history, final: final, weights: weights, stoppedAt: stoppedAt, model: model)
}

// MARK: - 2. Plain training: the network memorizes the noise

// Adam needs only a few dozen epochs to find the two moons; after that the only way to lower
// the training loss further is to fit the flipped points, one island at a time. Each island
// makes the network confidently wrong on the validation points near it, and cross-entropy
// punishes confident mistakes hard: validation loss climbs far above its minimum, while
// validation accuracy falls more slowly (it only counts which side of 50 % a point lands).
let plain = try train(Recipe(name: "plain"), on: training, validation: validation)
let lowest = plain.history.min { $0.validationLoss < $1.validationLoss }!

print()
print("2. Plain training: full-batch AdamW, γ = \(fixed(Double(learningRate), 3)), \(epochs) epochs "
      + "(loss and accuracy in evaluation mode)")
print("--------------------------------------------------------------------------------------------------")
print("   epoch   train loss   val loss   train acc     val acc")
for m in plain.history where [0, 10, 20, 30, 50, 100, 200, 500, 1000, 1500, 2000].contains(m.epoch) {
    print("   \(pad(String(m.epoch), 5, left: false))   \(pad(fixed(m.trainLoss), 10, left: false))   "
          + "\(pad(fixed(m.validationLoss), 8, left: false))  \(percent(m.trainAccuracy))    "
          + percent(m.validationAccuracy))
}
print("   validation loss was lowest at epoch \(lowest.epoch) (\(fixed(lowest.validationLoss))); by epoch \(epochs) it is "
      + "\(fixed(plain.final.validationLoss, 2)) while training loss fell to \(fixed(plain.final.trainLoss))")

// MARK: - 3. The remedies, side by side

// Why each one helps:
//
// - L2 / WEIGHT DECAY shrinks every weight by the same fraction at every step (θ ← θ − γλθ;
//   it is the gradient step of the penalty (λ/2)·Σθ²). A weight survives only if the data
//   keeps pushing it back, and an island around one flipped point needs large weights for a
//   sharp bend: small weights make a smoother function that changes slowly with the input.
//   We use AdamW's DECOUPLED decay. Adam's own weightDecay (or Regularization(l2:)) adds λθ
//   to the gradient instead, where Adam divides it by √v like the rest: the weights with the
//   smallest gradients then shrink fastest, not every weight by the same fraction. For SGD
//   the two are identical. λ = 3 looks large next to PyTorch's default 0.01, but what acts
//   is γλ = 1.5 % per step; a hundred points with noisy labels need a strong pull.
// - The L1 PENALTY l1·Σ|θ| has gradient l1·sign(θ): the same push towards 0 whatever the
//   weight's size. L2's pull fades as a weight gets small; L1's does not, so every weight
//   the data does not really need is driven to 0 (and then jitters around it). The network
//   becomes SPARSE: section 5 counts how few weights are left. (Lasso: Tibshirani, 1996.)
//   Like PyTorch's weight_decay, Regularization and AdamW's decay cover the biases too.
// - DROPOUT zeroes each hidden unit with probability p at every training step (and scales
//   the others by 1/(1 − p)). A unit cannot count on any other being there, so units cannot
//   CO-ADAPT into a delicate arrangement that fits one noisy point; each must be useful on
//   its own. Every step trains a different random sub-network, sharing weights: the full
//   network at evaluation acts like an average of that ENSEMBLE. So dropout is OFF at
//   evaluation (model.eval()): we want the average's answer, not one random member's, and
//   the same input must give the same output. The 1/(1 − p) scaling during training keeps
//   each unit's expected output equal, so nothing needs rescaling at evaluation.
// - EARLY STOPPING watches the validation loss and stops when it has not improved for
//   `patience` epochs, then restores the best weights. Fewer steps leave the weights closer
//   to their small initial values, so it acts much like L2, and it saves the wasted epochs.
//   Patience matters because validation curves are usually noisy (mini-batches, small
//   validation sets) and have plateaus: stopping at the first uptick would often be too
//   early. Its catch: the epoch was CHOSEN on the validation set, so validation accuracy at
//   that epoch is slightly optimistic; an honest final number needs a third, untouched
//   TEST set.
let remedies = [
    Recipe(name: "L2", weightDecay: 3),
    Recipe(name: "L1", l1: 0.0015),
    Recipe(name: "dropout", dropout: 0.5),
    Recipe(name: "early stop", patience: 100),
]
var runs = [plain]
for recipe in remedies { runs.append(try train(recipe, on: training, validation: validation)) }

print()
print("3. The same network, data and initial weights, trained five ways")
print("----------------------------------------------------------------")
print("     plain       nothing added")
print("     L2          weight decay λ = 3: every step θ ← θ − γλθ (AdamW)")
print("     L1          penalty 0.0015·Σ|θ| added to the loss (Regularization(l1:))")
print("     dropout     p = 0.5 after each hidden ReLU, off at evaluation")
print("     early stop  plain, stopped after 100 epochs without a better validation loss")
let curveEpochs = [10, 30, 100, 300, 1000, 2000]
print("   recipe      train acc    val acc    gap    val loss at epoch \(curveEpochs.map(String.init).joined(separator: ", "))")
for run in runs {
    let curve = curveEpochs.map { epoch in
        let loss = run.history.first { $0.epoch == epoch }.map { fixed($0.validationLoss, 3) }
        return pad(loss ?? "–", 6, left: false)   // "–": early stopping had stopped by then
    }
    print("   \(pad(run.recipe.name, 11)) \(percent(run.final.trainAccuracy))  \(percent(run.final.validationAccuracy))  "
          + "\(pad(fixed(run.final.gap * 100, 1), 5, left: false))    \(curve.joined(separator: " "))")
}
print("   (the final weights, early stop: the restored ones; measured in evaluation mode; gap = train − val, in points)")

// What the table shows in this run:
// - Every remedy shrinks the gap, from about 20 points to about 10 or less, and lifts
//   validation accuracy from about 80 % to about 85 %, near the 90 % ceiling that the
//   flipped labels set.
// - L2 keeps validation loss flat (about 0.45–0.49 from epoch 100 on): it has stopped the
//   memorizing. L1 and dropout only slow it down: their validation loss still climbs, more
//   slowly than plain, while their validation accuracy holds.
// - The strengths (λ, l1, p) were chosen by trying a few values and keeping the best
//   validation accuracy: a regularizer's strength is a hyperparameter, tuned on the
//   validation set like the learning rate. Too strong is as bad as too weak: with
//   l1 = 0.003 validation loss stayed flat, but the network kept about a dozen weights and
//   fell back to about 78 %.

// MARK: - 4. What the networks draw

/// The network's answer over the square −2 ≤ x ≤ 2, −1.3 ≤ y ≤ 1.3, one character per cell:
/// "·" where it says class 0, " " where it says class 1, and each training point on top as
/// its (possibly flipped) label, 0 or 1. - Returns `rows` strings of `columns` characters.
func decisionMap(_ model: Module, points: LabeledPoints, columns: Int = 44, rows: Int = 15) -> [String] {
    let (xLow, xHigh, yLow, yHigh): (Float, Float, Float, Float) = (-2, 2, -1.3, 1.3)
    var centres: [Float] = []   // [rows·columns, 2], row by row from the top
    for r in 0..<rows {
        for c in 0..<columns {
            centres += [xLow + (Float(c) + 0.5) * (xHigh - xLow) / Float(columns),
                        yHigh - (Float(r) + 0.5) * (yHigh - yLow) / Float(rows)]
        }
    }
    model.eval()
    defer { model.train() }
    let s = noGrad { model(Tensor(shape: [rows * columns, 2], values: centres)).scalars }   // [rows·columns, 2]
    var cells: [[Character]] = (0..<rows).map { r in
        (0..<columns).map { c in let i = r * columns + c; return s[2 * i + 1] > s[2 * i] ? " " : "·" }
    }
    let xy = points.inputs.scalars   // [N, 2]
    for n in points.labels.indices {
        let c = Int(((xy[2 * n] - xLow) / (xHigh - xLow) * Float(columns)).rounded(.down))
        let r = Int(((yHigh - xy[2 * n + 1]) / (yHigh - yLow) * Float(rows)).rounded(.down))
        if (0..<rows).contains(r) && (0..<columns).contains(c) { cells[r][c] = points.labels[n] == 0 ? "0" : "1" }
    }
    return cells.map { String($0) }
}

// The plain network carves pockets around single points to get them "right", flipped labels
// included: look for a lone 1 among the 0s, or a lone 0 among the 1s, with a patch of its own
// class around it. With weight decay the boundary is smoother and leaves most of those points
// on the "wrong" side, which is the right answer: their labels are the noise.
let l2 = runs.first { $0.recipe.name == "L2" }!
print()
print("4. What the networks draw: class 0 \"·\", class 1 \" \", training points as their labels")
print("------------------------------------------------------------------------------------")
print("   \(pad("plain", 46))  L2 (weight decay)")
for (left, right) in zip(decisionMap(plain.model, points: training), decisionMap(l2.model, points: training)) {
    print("   |\(left)|  |\(right)|")
}

// MARK: - 5. What L1 and L2 did to the weights

// Counting the 4,352 entries of the three weight matrices (biases left out). Plain training
// leaves them spread out. L2 makes them smaller overall (the norm ‖w‖), and weights the data
// does not push on decay with nothing pulling them back (by 1.5 % a step: 0.985²⁰⁰⁰ ≈ 10⁻¹³),
// hence its third of near-zero weights; the rest stay sizeable. L1 goes
// much further: almost every weight sits at (nearly) zero, and a network with a few dozen
// live connections does the job. That is why L1 is used to SELECT inputs or connections.
print()
print("5. The weights after training: size and sparsity (the 4,352 entries of the weight matrices)")
print("-------------------------------------------------------------------------------------------")
print("   recipe           ‖w‖   |w| < 0.001  |w| < 0.01   weights ≥ 0.01")
for run in runs where run.recipe.patience == nil {
    let norm = run.weights.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
    let tiny = Double(run.weights.filter { abs($0) < 0.001 }.count) / Double(run.weights.count)
    let small = run.weights.filter { abs($0) < 0.01 }.count
    let smallFraction = Double(small) / Double(run.weights.count)
    print("   \(pad(run.recipe.name, 11)) \(pad(fixed(norm, 2), 8, left: false))   \(percent(tiny, width: 9))  "
          + "\(percent(smallFraction, width: 8))   \(pad(String(run.weights.count - small), 14, left: false))")
}

// MARK: - 6. Early stopping

// Same trajectory as the plain run up to the stop (same weights, same full batches), so the
// restored network is the plain network as it was at the best epoch.
let stopped = runs.first { $0.recipe.patience != nil }!
print()
print("6. Early stopping with patience 100 epochs")
print("------------------------------------------")
print("   best validation loss at epoch \(stopped.final.epoch), stopped at epoch \(stopped.stoppedAt ?? epochs), "
      + "restored the weights of epoch \(stopped.final.epoch)")
print("   validation accuracy \(percent(stopped.final.validationAccuracy, width: 4)) at epoch \(stopped.final.epoch), "
      + "\(percent(plain.final.validationAccuracy, width: 4)) after all \(epochs) epochs of plain training")
print("   training took \(stopped.stoppedAt ?? epochs) epochs instead of \(epochs)")
