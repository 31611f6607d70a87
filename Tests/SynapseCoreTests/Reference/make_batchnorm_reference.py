#!/usr/bin/env python3
"""Reference values for Synapse's batch norm op, from an independent implementation (numpy).

Prints a Swift source file on stdout. Regenerate with

    python3 Tests/SynapseCoreTests/Reference/make_batchnorm_reference.py \
        > Tests/SynapseCoreTests/BatchNormReferenceValues.swift

Made like make_reference.py, so that nothing is shared with the Swift op:
- Inputs come from a seeded numpy generator, rounded to float32 and printed.
- The forward pass is PyTorch's documented definition in float64: mean and BIASED variance
  (np.var, ddof=0) over every axis but the channel axis 1 for normalization; the running
  statistics move by `momentum` towards the batch mean and the UNBIASED variance (ddof=1).
- Gradients are float64 central differences of L = sum(y * G), never a hand-derived rule.

If torch is installed, the values are also checked against torch.nn.functional.batch_norm.
"""
import numpy as np

rng = np.random.default_rng(20240612)
EPS = 1e-5


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(shape, low=-2.0, high=2.0):
    return f32(rng.uniform(low, high, size=shape))


def channel_view(v, ndim):
    """A per-channel vector [C] shaped to broadcast against [N, C, ...]."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(x, weight, bias, running_mean, running_var, training):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = running_mean, running_var
    xhat = (x - channel_view(mean, x.ndim)) / np.sqrt(channel_view(var, x.ndim) + EPS)
    return xhat * channel_view(weight, x.ndim) + channel_view(bias, x.ndim)


def updated_running(x, running_mean, running_var, momentum):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=axes),
            (1 - momentum) * running_var + momentum * x.var(axis=axes, ddof=1))


def numeric_grad(f, inputs, G, h=1e-5):
    grads = []
    for x in inputs:
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)
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


out = []
checks = []


def case(name, doc, shape, training, momentum=0.1):
    C = shape[1]
    x = uniform(shape, -3.0, 3.0) + channel_view(uniform((C,), -1.0, 1.0), len(shape))
    x = f32(x)
    weight, bias = uniform((C,), 0.5, 1.5), uniform((C,), -0.5, 0.5)
    running_mean, running_var = uniform((C,), -0.5, 0.5), uniform((C,), 0.5, 2.0)
    G = uniform(shape)
    f = lambda x_, w_, b_: batch_norm(x_, w_, b_, running_mean, running_var, training)
    y = f(x, weight, bias)
    gx, gw, gb = numeric_grad(f, [x, weight, bias], G)
    if training:
        new_mean, new_var = updated_running(x, running_mean, running_var, momentum)
    else:
        new_mean, new_var = running_mean, running_var
    checks.append((x, weight, bias, running_mean, running_var, training, momentum, y, new_mean, new_var))
    fields = [
        ("shape", "[" + ", ".join(map(str, shape)) + "]"),
        ("training", "true" if training else "false"),
        ("momentum", repr(momentum)),
        ("x", lit(x)), ("weight", lit(weight)), ("bias", lit(bias)),
        ("runningMean", lit(running_mean)), ("runningVar", lit(running_var)),
        ("output", lit(y)), ("newRunningMean", lit(new_mean)), ("newRunningVar", lit(new_var)),
        ("upstream", lit(G)), ("gradX", lit(gx)), ("gradWeight", lit(gw)), ("gradBias", lit(gb)),
    ]
    out.append(f"    /// {doc}")
    out.append(f"    static let {name} = BatchNormReference(")
    out.append(",\n".join(f"        {k}: {v}" for k, v in fields))
    out.append("    )")
    out.append("")


case("train1d", "batchNorm training on x [5, 3] (BatchNorm1d), momentum 0.1.", (5, 3), True)
case("train2d", "batchNorm training on x [2, 3, 2, 3] (BatchNorm2d), momentum 0.1.", (2, 3, 2, 3), True)
case("train3d", "batchNorm training on x [3, 2, 4] (BatchNorm1d over [N, C, L]), momentum 0.3.",
     (3, 2, 4), True, momentum=0.3)
case("eval2d", "batchNorm evaluation on x [2, 3, 2, 2] with running statistics.", (2, 3, 2, 2), False)

try:  # second opinion, only when torch happens to be installed
    import torch
    import torch.nn.functional as F
    for (x, w, b, rm, rv, training, momentum, y, nm, nv) in checks:
        trm, trv = torch.tensor(rm), torch.tensor(rv)
        ty = F.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b),
                          training=training, momentum=momentum, eps=EPS)
        assert np.allclose(ty.numpy(), y) and np.allclose(trm.numpy(), nm) and np.allclose(trv.numpy(), nv)
except ImportError:
    pass

print("// Reference values for the batch norm tests: GENERATED, do not edit by hand.")
print("//")
print("// Produced by `python3 Tests/SynapseCoreTests/Reference/make_batchnorm_reference.py`")
print(f"// (numpy {np.__version__}, float64 forward definition, gradients by float64 central")
print("// differences of sum(output * upstream)); BatchNormReferenceTests.swift compares.")
print()
print("extension BatchNormReference {")
print("\n".join(out).rstrip())
print("}")
