#!/usr/bin/env python3
"""Reference values for Synapse's Transformer ops (layerNorm, causalSelfAttention, geluTanh),
from an independent implementation (numpy).

Prints a Swift source file on stdout. Regenerate with

    python3 Tests/SynapseCoreTests/Reference/make_transformer_reference.py \
        > Tests/SynapseCoreTests/TransformerReferenceValues.swift

Made like make_recurrent_reference.py, so that nothing is shared with the Swift ops:
- Inputs come from a seeded numpy generator, rounded to float32 and printed.
- The forward passes are the definitions, written out below in float64: PyTorch's
  F.layer_norm (biased variance, eps 1e-5), causal multi-head attention as nanoGPT writes it
  (split q, k, v; heads as column blocks; softmax(q k^T / sqrt(D)) with the future masked; heads
  interleaved back), and GPT-2's tanh GELU.
- Gradients are NOT derived by hand: each is the float64 central difference of
      L = sum(output * G)
  for a fixed upstream gradient G (printed too), so the Swift backward passes are checked
  against nothing but the forward definitions.

If torch is installed, forward values and gradients are also checked against
F.layer_norm, F.scaled_dot_product_attention(is_causal=True) and F.gelu(approximate='tanh')
in float64 (a second opinion; not needed to generate the file).
"""
import numpy as np

rng = np.random.default_rng(20261201)
EPS = 1e-5


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def uniform(shape, low=-1.0, high=1.0):
    return f32(rng.uniform(low, high, size=shape))


# ---- Forward definitions (float64) ------------------------------------------------------------

def layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)      # biased, as PyTorch
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def causal_attention(qkv, heads):
    B, T, C3 = qkv.shape
    C = C3 // 3
    D = C // heads
    y = np.zeros((B, T, C))
    for b in range(B):
        for h in range(heads):
            cols = slice(h * D, (h + 1) * D)
            q = qkv[b, :, 0 * C:1 * C][:, cols]
            k = qkv[b, :, 1 * C:2 * C][:, cols]
            v = qkv[b, :, 2 * C:3 * C][:, cols]
            for t in range(T):
                s = q[t] @ k[:t + 1].T / np.sqrt(D)            # positions 0..t only
                p = np.exp(s - s.max())
                p /= p.sum()
                y[b, t, cols] = p @ v[:t + 1]
    return y


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def numeric_grad(loss, arrays, h=1e-6):
    """d loss / d array for each array, by float64 central differences (arrays edited in place)."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + h
            plus = loss()
            flat[i] = saved - h
            minus = loss()
            flat[i] = saved
            gflat[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


def lit(a, indent=8):
    """A Swift array literal; long ones wrap, items indented `indent` + 4, "]" at `indent`."""
    vals = [("%.9g" % v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]
    vals = [v if any(ch in v for ch in ".en") else v + ".0" for v in vals]
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
    pad = " " * indent
    return "[\n" + "\n".join(pad + "    " + l for l in lines) + ",\n" + pad + "]"


out = []
checks = []


def emit(doc, name, kind, fields):
    out.append(f"    /// {doc}")
    out.append(f"    static let {name} = {kind}(")
    out.append(",\n".join(f"        {k}: {v}" for k, v in fields))
    out.append("    )")
    out.append("")


def layer_norm_case(name, shape):
    C = shape[-1]
    x = uniform(shape, -2, 2)
    x[0, 0] = f32(0.5 + rng.uniform(-0.01, 0.01, size=C))   # variance ~ 3e-5: eps matters
    weight, bias = uniform((C,), -1.5, 1.5), uniform((C,), -0.5, 0.5)
    y = layer_norm(x, weight, bias)
    g = uniform(shape)
    gx, gw, gb = numeric_grad(lambda: np.sum(layer_norm(x, weight, bias) * g), [x, weight, bias])
    checks.append(("layerNorm", (x, weight, bias), y, g, (gx, gw, gb)))
    emit(f"layerNorm: x {list(shape)} (row 0 nearly constant), weight and bias [{C}].", name,
         "LayerNormReference",
         [("shape", str(list(shape))), ("x", lit(x)), ("weight", lit(weight)), ("bias", lit(bias)),
          ("output", lit(y)), ("upstream", lit(g)), ("gradX", lit(gx)), ("gradWeight", lit(gw)),
          ("gradBias", lit(gb))])


def attention_case(name, B, T, C, heads):
    qkv = uniform((B, T, 3 * C), -1.5, 1.5)
    y = causal_attention(qkv, heads)
    g = uniform((B, T, C))
    (gqkv,) = numeric_grad(lambda: np.sum(causal_attention(qkv, heads) * g), [qkv])
    checks.append(("attention", (qkv, heads), y, g, (gqkv,)))
    emit(f"causalSelfAttention: qkv [{B}, {T}, {3 * C}], {heads} heads of size {C // heads}.", name,
         "AttentionReference",
         [("batch", str(B)), ("steps", str(T)), ("width", str(C)), ("heads", str(heads)),
          ("qkv", lit(qkv)), ("output", lit(y)), ("upstream", lit(g)), ("gradQKV", lit(gqkv))])


def gelu_case(name):
    x = f32(np.concatenate([np.linspace(-6, 6, 13), rng.uniform(-3, 3, size=11)]))
    y = gelu_tanh(x)
    g = uniform(x.shape)
    (gx,) = numeric_grad(lambda: np.sum(gelu_tanh(x) * g), [x])
    checks.append(("gelu", (x,), y, g, (gx,)))
    emit(f"geluTanh: x [{x.size}] (-6...6 in steps of 1, then random in [-3, 3)).", name,
         "GELUTanhReference",
         [("x", lit(x)), ("output", lit(y)), ("upstream", lit(g)), ("gradX", lit(gx))])


layer_norm_case("layerNorm", (2, 3, 5))
attention_case("attentionTwoHeads", B=2, T=4, C=6, heads=2)
attention_case("attentionOneHead", B=1, T=5, C=4, heads=1)
attention_case("attentionHeadsOfOne", B=2, T=3, C=3, heads=3)
gelu_case("geluTanh")

try:  # second opinion, only when torch happens to be installed
    import torch
    import torch.nn.functional as F
    for kind, inputs, y, g, grads in checks:
        ts = [torch.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a for a in inputs]
        if kind == "layerNorm":
            out_t = F.layer_norm(ts[0], (ts[0].shape[-1],), ts[1], ts[2], eps=EPS)
        elif kind == "gelu":
            out_t = F.gelu(ts[0], approximate="tanh")
        else:
            qkv_t, heads = ts
            B, T, C3 = qkv_t.shape
            C = C3 // 3
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in qkv_t.split(C, dim=2))
            out_t = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
        (out_t * torch.tensor(g)).sum().backward()
        assert np.allclose(out_t.detach().numpy(), y, rtol=1e-9, atol=1e-12), kind
        tensors = [t for t in ts if isinstance(t, torch.Tensor)]
        for t, want in zip(tensors, grads):
            assert np.allclose(t.grad.numpy(), want, rtol=1e-6, atol=1e-8), kind
except ImportError:
    pass

print("// Reference values for the Transformer op tests: GENERATED, do not edit by hand.")
print("//")
print("// Produced by `python3 Tests/SynapseCoreTests/Reference/make_transformer_reference.py`")
print(f"// (numpy {np.__version__}, float64 forward definitions, gradients by float64 central")
print("// differences of sum(output * upstream)); TransformerReferenceTests.swift compares.")
print()
print("extension TransformerReference {")
print("\n".join(out).rstrip())
print("}")
