#!/usr/bin/env python3
"""Reference values for Synapse's recurrent ops (tanh RNN, LSTM, GRU), from an independent
implementation (numpy).

Prints a Swift source file on stdout. Regenerate with

    python3 Tests/SynapseCoreTests/Reference/make_recurrent_reference.py \
        > Tests/SynapseCoreTests/RecurrentReferenceValues.swift

Made like make_reference.py, so that nothing is shared with the Swift ops:
- Inputs (sequence, initial states of every layer, every layer's weights) come from a seeded
  numpy generator, rounded to float32 and printed.
- The forward pass is the PyTorch documentation's equations, written out below step by step
  in float64 (gate order: LSTM i, f, g, o; GRU r, z, n with b_hn inside r * (W_hn h + b_hn)),
  for a stack of layers where layer k > 0 reads the hidden states of layer k - 1 (no dropout).
- Gradients are NOT derived by hand (no BPTT here): each is the float64 central difference of
      L = sum(output * G_out) + sum_k sum(h_T[k] * G_h[k]) + sum_k sum(c_T[k] * G_c[k])
  for fixed upstream gradients G (printed too), so the Swift backward pass is checked against
  nothing but the forward definition, through outputs AND final states.

If torch is installed, the forward values are also checked against torch.nn.LSTM/GRU/RNN
(a second opinion; not needed to generate the file).
"""
import numpy as np

rng = np.random.default_rng(20240613)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def uniform(shape, low=-1.0, high=1.0):
    return f32(rng.uniform(low, high, size=shape))


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# ---- One layer over a sequence, x [B, T, I] -> (outputs [B, T, H], h_T, c_T) ----------------

def rnn_tanh_layer(x, h, c, w_ih, w_hh, b_ih, b_hh):
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, None


def lstm_layer(x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = w_hh.shape[1]
    outputs = []
    for t in range(x.shape[1]):
        pre = x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh          # [B, 4H], blocks i, f, g, o
        i = sigmoid(pre[:, 0:H])
        f = sigmoid(pre[:, H:2 * H])
        g = np.tanh(pre[:, 2 * H:3 * H])
        o = sigmoid(pre[:, 3 * H:4 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def gru_layer(x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = w_hh.shape[1]
    outputs = []
    for t in range(x.shape[1]):
        gi = x[:, t] @ w_ih.T + b_ih                               # [B, 3H], blocks r, z, n
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gi[:, 0:H] + gh[:, 0:H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:3 * H] + r * gh[:, 2 * H:3 * H])
        h = (1 - z) * n + z * h
        outputs.append(h)
    return np.stack(outputs, axis=1), h, None


CELLS = {"rnnTanh": (rnn_tanh_layer, 1), "lstm": (lstm_layer, 4), "gru": (gru_layer, 3)}
PARAMS = ["weightIH", "weightHH", "biasIH", "biasHH"]


def stack_forward(kind, x, states, weights):
    """states[k] = (h0, c0 or None); weights[k] = dict of PARAMS. Returns output, h_T's, c_T's."""
    layer = CELLS[kind][0]
    hs, cs = [], []
    for (h0, c0), w in zip(states, weights):
        x, h, c = layer(x, h0, c0, *(w[p] for p in PARAMS))
        hs.append(h)
        cs.append(c)
    return x, hs, cs


def numeric_grad(loss, arrays, h=1e-5):
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


def lit(a, indent=16):
    """A Swift array literal; long ones wrap, items indented `indent` + 4, "]" at `indent`."""
    vals = [("%.9g" % v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]
    vals = [v if any(ch in v for ch in ".en") else v + ".0" for v in vals]
    lines, line = [], ""
    for v in vals:
        piece = v + ", "
        if len(line) + len(piece) > 80:
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


def case(name, kind, B, T, I, H, layers):
    gates = CELLS[kind][1]
    has_cell = kind == "lstm"
    x = uniform((B, T, I))
    states = [(uniform((B, H), -0.8, 0.8), uniform((B, H)) if has_cell else None) for _ in range(layers)]
    weights = []
    for k in range(layers):
        fan = I if k == 0 else H
        weights.append({"weightIH": uniform((gates * H, fan), -0.7, 0.7),
                        "weightHH": uniform((gates * H, H), -0.7, 0.7),
                        "biasIH": uniform((gates * H,), -0.5, 0.5),
                        "biasHH": uniform((gates * H,), -0.5, 0.5)})
    output, hs, cs = stack_forward(kind, x, states, weights)
    g_out = uniform(output.shape)
    g_h = [uniform((B, H)) for _ in range(layers)]
    g_c = [uniform((B, H)) for _ in range(layers)] if has_cell else []

    def loss():
        o, hs_, cs_ = stack_forward(kind, x, states, weights)
        total = np.sum(o * g_out) + sum(np.sum(h * g) for h, g in zip(hs_, g_h))
        return total + sum(np.sum(c * g) for c, g in zip(cs_, g_c))

    grad_x = numeric_grad(loss, [x])[0]
    layer_fields = []
    for k in range(layers):
        h0, c0 = states[k]
        w = weights[k]
        arrays = [h0] + ([c0] if has_cell else []) + [w[p] for p in PARAMS]
        grads = numeric_grad(loss, arrays)
        grad_h0, grad_c0 = grads[0], (grads[1] if has_cell else None)
        grad_w = grads[2:] if has_cell else grads[1:]
        fields = [("h0", lit(h0)), ("c0", lit(c0) if has_cell else "[]")]
        fields += [(p, lit(w[p])) for p in PARAMS]
        fields += [("hidden", lit(hs[k])), ("cell", lit(cs[k]) if has_cell else "[]"),
                   ("upstreamHidden", lit(g_h[k])), ("upstreamCell", lit(g_c[k]) if has_cell else "[]"),
                   ("gradH0", lit(grad_h0)), ("gradC0", lit(grad_c0) if has_cell else "[]")]
        fields += [("grad" + p[0].upper() + p[1:], lit(g)) for p, g in zip(PARAMS, grad_w)]
        layer_fields.append("            .init(\n" + ",\n".join(f"                {k_}: {v}" for k_, v in fields)
                            + "\n            )")
    checks.append((kind, x, states, weights, output, hs, cs))
    out.append(f"    /// {kind}, {layers} layers: x [{B}, {T}, {I}], hidden size {H}; loss on the output and on")
    out.append("    /// every layer's final state" + (" (h_T and c_T)." if has_cell else " h_T."))
    out.append(f"    static let {name} = RecurrentReference(")
    out.append(f"        cell: .{kind}, batch: {B}, steps: {T}, inputSize: {I}, hiddenSize: {H},")
    out.append(f"        x: {lit(x, 8)},")
    out.append("        layers: [\n" + ",\n".join(layer_fields) + ",\n        ],")
    out.append(f"        output: {lit(output, 8)},")
    out.append(f"        upstreamOutput: {lit(g_out, 8)},")
    out.append(f"        gradX: {lit(grad_x, 8)}")
    out.append("    )")
    out.append("")


case("lstm2Layers", "lstm", B=2, T=5, I=2, H=3, layers=2)
case("gru2Layers", "gru", B=2, T=5, I=2, H=3, layers=2)
case("rnnTanh2Layers", "rnnTanh", B=3, T=4, I=2, H=3, layers=2)

try:  # second opinion, only when torch happens to be installed
    import torch
    for (kind, x, states, weights, output, hs, cs) in checks:
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnnTanh": torch.nn.RNN}[kind]
        net = module(x.shape[2], states[0][0].shape[1], num_layers=len(weights), batch_first=True).double()
        with torch.no_grad():
            for k, w in enumerate(weights):
                for p, tp in zip(PARAMS, ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]):
                    getattr(net, f"{tp}_l{k}").copy_(torch.tensor(w[p]))
            h0 = torch.tensor(np.stack([s[0] for s in states]))
            if kind == "lstm":
                y, (hn, cn) = net(torch.tensor(x), (h0, torch.tensor(np.stack([s[1] for s in states]))))
                assert np.allclose(cn.numpy(), np.stack(cs))
            else:
                y, hn = net(torch.tensor(x), h0)
            assert np.allclose(y.numpy(), output) and np.allclose(hn.numpy(), np.stack(hs))
except ImportError:
    pass

print("// Reference values for the recurrent op tests: GENERATED, do not edit by hand.")
print("//")
print("// Produced by `python3 Tests/SynapseCoreTests/Reference/make_recurrent_reference.py`")
print(f"// (numpy {np.__version__}, float64 forward definitions, gradients by float64 central")
print("// differences of the weighted loss); RecurrentReferenceTests.swift compares.")
print()
print("extension RecurrentReference {")
print("\n".join(out).rstrip())
print("}")
