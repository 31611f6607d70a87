#!/usr/bin/env python3
"""Reference values for Synapse's core ops, from an independent implementation (numpy).

Prints a Swift source file on stdout. Regenerate with

    python3 Tests/SynapseCoreTests/Reference/make_reference.py \
        > Tests/SynapseCoreTests/ReferenceValues.swift

How the values are made, so that they do not share code or formulas with the Swift ops:
- Inputs are drawn from a seeded numpy generator and rounded to float32, and printed, so the
  Swift tests run on exactly the same numbers.
- Forward values are computed in float64 from the textbook (or PyTorch documentation)
  definitions written out below.
- Gradients are NOT derived by hand: each one is the float64 central difference of
  L = sum(op(inputs) * G) for a fixed upstream gradient G (printed too), so they check the
  Swift backward rules against nothing but the forward definition. Inputs stay away from
  kinks (ReLU at 0, |x| at 0) where a difference quotient is meaningless.

If torch is installed, the same forward values are also checked against torch.nn.functional
(a second opinion; not needed to generate the file).
"""
import math
import numpy as np

rng = np.random.default_rng(20240611)


def f32(a):
    """Rounds to float32 (what the Swift side stores), then computes in float64."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(shape, low=-2.0, high=2.0):
    return f32(rng.uniform(low, high, size=shape))


def numeric_grad(f, inputs, G, h=1e-5):
    """d/d(inputs) of sum(f(*inputs) * G) by float64 central differences."""
    grads = []
    for k, x in enumerate(inputs):
        g = np.zeros_like(x)
        flat = x.reshape(-1)
        gflat = g.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + h
            plus = np.sum(f(*inputs) * G)
            flat[i] = saved - h
            minus = np.sum(f(*inputs) * G)
            flat[i] = saved
            gflat[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


# ---- Forward definitions (float64) -------------------------------------------------------

def linear(x, w, b):            # torch.nn.functional.linear: x W^T + b
    return x @ w.T + b


def matmul(a, b):
    return a @ b


def relu(x):
    return np.where(x > 0, x, 0.0)


def leaky_relu(slope):
    return lambda x: np.where(x > 0, x, slope * x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gelu(x):                     # exact: x * Phi(x), Phi the standard normal CDF
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def softmax(x):                  # over the last axis
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    return np.log(softmax(x))


def cross_entropy(labels, reduction):
    def f(logits):
        losses = -log_softmax(logits)[np.arange(len(labels)), labels]
        return np.array([losses.mean() if reduction == "mean" else losses.sum()])
    return f


def mse(t, reduction):
    return lambda x: np.array([((x - t) ** 2).mean() if reduction == "mean" else ((x - t) ** 2).sum()])


def mae(t, reduction):
    return lambda x: np.array([np.abs(x - t).mean() if reduction == "mean" else np.abs(x - t).sum()])


def bce(t):                      # on probabilities
    return lambda p: np.array([-(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()])


def bce_logits(t):               # on logits, via the probability definition
    return lambda x: np.array([-(t * np.log(sigmoid(x)) + (1 - t) * np.log(1 - sigmoid(x))).mean()])


# ---- Swift output ------------------------------------------------------------------------

def lit(a):
    vals = [("%.9g" % v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]
    vals = [v if any(c in v for c in ".en") else v + ".0" for v in vals]
    lines, line = [], ""
    for v in vals:
        piece = v + ", "
        if len(line) + len(piece) > 84:
            lines.append(line.rstrip())
            line = ""
        line += piece
    lines.append(line.rstrip().rstrip(","))
    if len(lines) == 1:
        return "[" + lines[0] + "]"
    return "[\n" + "\n".join("            " + l for l in lines) + ",\n        ]"


def shape_lit(a):
    return "[" + ", ".join(str(d) for d in np.shape(a)) + "]"


out = []


def case(name, doc, inputs, f, G=None, labels=None, target=None):
    """One `Reference` value: inputs, forward output and (when G is given) input gradients."""
    y = f(*inputs)
    out.append(f"    /// {doc}")
    out.append(f"    static let {name} = Reference(")
    out.append("        inputs: [")
    for x in inputs:
        out.append(f"            (shape: {shape_lit(x)}, values: {indent(lit(x), 4)}),")
    out.append("        ],")
    if labels is not None:
        out.append("        labels: [" + ", ".join(str(l) for l in labels) + "],")
    if target is not None:
        out.append(f"        target: {lit(target)},")
    out.append(f"        outputShape: {shape_lit(y)},")
    out.append(f"        output: {lit(y)},")
    if G is not None:
        out.append(f"        upstream: {lit(G)},")
        grads = numeric_grad(f, inputs, G)
        out.append("        grads: [")
        for g in grads:
            out.append(f"            {indent(lit(g), 4)},")
        out.append("        ]")
    else:
        out[-1] = out[-1].rstrip(",")
    out.append("    )")
    out.append("")
    return y


def indent(text, spaces):
    return text.replace("\n", "\n" + " " * spaces)


def away_from(x, points, margin=0.05):
    """Nudges values within `margin` of any kink in `points` out of the way."""
    for p in points:
        close = np.abs(x - p) < margin
        x[close] = p + np.where(x[close] >= p, margin, -margin)
    return f32(x)


x = uniform((3, 4)); w = uniform((2, 4)); b = uniform((2,))
case("linear", "linear(x, weight, bias): x [3, 4], W [2, 4], b [2] → [3, 2].",
     [x, w, b], linear, G=uniform((3, 2)))

a = uniform((2, 3)); bm = uniform((3, 4))
case("matmul", "matmul(a, b): a [2, 3], b [3, 4] → [2, 4].", [a, bm], matmul, G=uniform((2, 4)))

a = uniform((2, 3)); bb = uniform((2, 3)); G = uniform((2, 3))
case("add", "add(a, b) on [2, 3].", [a, bb], lambda p, q: p + q, G=G)
case("subtract", "subtract(a, b) on [2, 3].", [a, bb], lambda p, q: p - q, G=G)
case("multiply", "multiply(a, b) on [2, 3].", [a, bb], lambda p, q: p * q, G=G)
case("sum", "sum(a) of a [2, 3] → [1].", [a], lambda p: np.array([p.sum()]), G=f32([0.7]))
case("mean", "mean(a) of a [2, 3] → [1].", [a], lambda p: np.array([p.mean()]), G=f32([0.7]))
case("scale", "scale(a, by: -1.5) on [2, 3].", [a], lambda p: -1.5 * p, G=G)

x = away_from(uniform((2, 5), -4.0, 4.0), [0.0]); G = uniform((2, 5))
case("relu", "relu(x) on [2, 5].", [x], relu, G=G)
case("leakyRelu", "leakyRelu(x, negativeSlope: 0.01) on [2, 5].", [x], leaky_relu(0.01), G=G)
case("leakyRelu02", "leakyRelu(x, negativeSlope: 0.2) on [2, 5].", [x], leaky_relu(0.2), G=G)
case("sigmoid", "sigmoid(x) on [2, 5].", [x], sigmoid, G=G)
case("tanh", "tanh(x) on [2, 5].", [x], np.tanh, G=G)
case("gelu", "gelu(x) (exact erf form) on [2, 5].", [x], gelu, G=G)

x = uniform((3, 5), -3.0, 3.0); G = uniform((3, 5))
case("softmax", "softmax(x) over the last axis of [3, 5].", [x], softmax, G=G)
case("logSoftmax", "logSoftmax(x) over the last axis of [3, 5].", [x], log_softmax, G=G)

logits = uniform((4, 3), -3.0, 3.0); labels = [2, 0, 1, 2]
case("crossEntropyMean", "crossEntropy(logits [4, 3], labels, reduction: .mean).",
     [logits], cross_entropy(labels, "mean"), G=f32([1.0]), labels=labels)
case("crossEntropySum", "crossEntropy(logits [4, 3], labels, reduction: .sum).",
     [logits], cross_entropy(labels, "sum"), G=f32([1.0]), labels=labels)

pred = uniform((2, 3)); target = uniform((2, 3))
pred = f32(np.where(np.abs(pred - target) < 0.05, pred + 0.1, pred))   # |x - t| kink
case("mseMean", "mseLoss(prediction [2, 3], target, reduction: .mean).", [pred],
     mse(target, "mean"), G=f32([1.0]), target=target)
case("mseSum", "mseLoss(prediction [2, 3], target, reduction: .sum).", [pred],
     mse(target, "sum"), G=f32([1.0]), target=target)
case("maeMean", "maeLoss(prediction [2, 3], target, reduction: .mean).", [pred],
     mae(target, "mean"), G=f32([1.0]), target=target)
case("maeSum", "maeLoss(prediction [2, 3], target, reduction: .sum).", [pred],
     mae(target, "sum"), G=f32([1.0]), target=target)

probs = uniform((2, 3), 0.05, 0.95); soft = f32([[0, 1, 0.3], [1, 0, 0.8]])
case("bce", "binaryCrossEntropy(p [2, 3], t, reduction: .mean), soft and hard targets.",
     [probs], bce(soft), G=f32([1.0]), target=soft)
x = uniform((2, 3), -4.0, 4.0)
case("bceWithLogits", "binaryCrossEntropyWithLogits(x [2, 3], t, reduction: .mean).",
     [x], bce_logits(soft), G=f32([1.0]), target=soft)

# ---- RandomGenerator: xoshiro256** and the SplitMix64 seeding, in Python integers -------
# Checkpoints save the generator state, so the exact sequence is part of the file format.
M64 = (1 << 64) - 1


def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def seeded_state(seed, stream):
    """RandomGenerator(seed:stream:) without extra numbers."""
    x = (seed ^ ((stream * 0x9E3779B97F4A7C15) & M64)) & M64
    s = []
    for _ in range(4):
        x, z = splitmix(x)
        s.append(z)
    return s


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def xoshiro_next(s):
    """Blackman & Vigna's xoshiro256** (prng.di.unimi.it/xoshiro256starstar.c)."""
    result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
    t = (s[1] << 17) & M64
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


def u64_lit(values):
    return "[" + ", ".join("0x%016X" % v for v in values) + "]"


rng_lines = []
s = [1, 2, 3, 4]
rng_lines.append("    /// xoshiro256** from state [1, 2, 3, 4]: the first 5 outputs.")
rng_lines.append("    static let xoshiroFrom1234: [UInt64] = " + u64_lit([xoshiro_next(s) for _ in range(5)]))
for seed, stream in [(42, 0), (7, 3)]:
    st = seeded_state(seed, stream)
    rng_lines.append(f"    /// RandomGenerator(seed: {seed}, stream: {stream}): state, then the first 3 outputs.")
    rng_lines.append(f"    static let stateSeed{seed}Stream{stream}: [UInt64] = " + u64_lit(st))
    rng_lines.append(f"    static let outputsSeed{seed}Stream{stream}: [UInt64] = "
                     + u64_lit([xoshiro_next(st) for _ in range(3)]))

try:  # second opinion, only when torch happens to be installed
    import torch
    import torch.nn.functional as F
    t = torch.tensor(np.array([[-1.0, 0.5, 2.0]]), dtype=torch.float64)
    assert np.allclose(F.gelu(t).numpy(), gelu(t.numpy()))
    assert np.allclose(F.log_softmax(t, -1).numpy(), log_softmax(t.numpy()))
except ImportError:
    pass

print("// Reference values for SynapseCoreTests: GENERATED, do not edit by hand.")
print("//")
print("// Produced by `python3 Tests/SynapseCoreTests/Reference/make_reference.py`")
print(f"// (numpy {np.__version__}, float64 forward definitions, gradients by float64 central")
print("// differences of sum(output * upstream)); see that script for how each value is made.")
print("// ReferenceTests.swift runs the Swift ops on the same inputs and compares.")
print()
print("extension Reference {")
print("\n".join(out).rstrip())
print("}")
print()
print("/// RandomGenerator sequences computed by a Python implementation of the same algorithms.")
print("enum RandomReference {")
print("\n".join(rng_lines))
print("}")
