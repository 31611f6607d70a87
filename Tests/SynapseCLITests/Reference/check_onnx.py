"""Checks an ONNX file written by `synapse export --onnx` against `synapse predict --json`
(used by CLIExportTests):

  1. onnx.checker.check_model(full_check=True): the file is a valid model of its opset, and
     ONNX's shape inference agrees with the declared input and output shapes;
  2. the batch dimension of the input and outputs is the one asked for (--batch N or dynamic);
  3. ONNX Runtime runs it on the same samples predict scored: for images the raw pixels read
     here from the IDX file (--images), for text the token windows from the JSON lines; its
     logits and probabilities are compared with predict's. A dynamic batch is also run on the
     first sample alone, a fixed one with one sample too many (which must be refused), and a
     text model on the first half of each window (a causal model gives the same logits there).

Prints one JSON object: the largest differences, the operators used, the metadata, and the
values of any initializer named with --dump. Exits 1 when the file fails a check (the
differences are left to the caller to judge).

Usage: python3 check_onnx.py MODEL.onnx PREDICTIONS.jsonl --batch N|dynamic [--images FILE.gz] [--dump NAME ...]
"""
import argparse
import gzip
import json
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def idx_images(path):
    """The images of an IDX file (gzip), [count, rows, cols] uint8."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 2051, f"{path}: not an IDX image file (magic {magic})"
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("predictions")
    parser.add_argument("--batch", required=True)
    parser.add_argument("--images")
    parser.add_argument("--dump", action="append", default=[])
    args = parser.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    batch = args.batch if args.batch == "dynamic" else int(args.batch)
    want = "batch" if batch == "dynamic" else batch
    shapes = {v.name: dims(v) for v in list(graph.input) + list(graph.output)}
    if any(shape[0] != want for shape in shapes.values()):
        sys.exit(f"batch dimension: expected {want}, the graph has {shapes}")

    rows = [json.loads(line) for line in open(args.predictions) if line.strip()]
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    input_name = graph.input[0].name
    if input_name == "tokens":
        windows = sorted({r["index"] for r in rows})
        T = max(r["position"] for r in rows) + 1
        tokens = np.zeros((len(windows), T), dtype=np.int64)
        logits = np.zeros((len(windows), T, len(rows[0]["logits"])), dtype=np.float64)
        probabilities = np.zeros_like(logits)
        for r in rows:
            w = windows.index(r["index"])
            tokens[w, r["position"]] = r["token"]
            logits[w, r["position"]] = r["logits"]
            probabilities[w, r["position"]] = r["probabilities"]
        inputs = tokens
    else:
        images = idx_images(args.images)
        C, H, W = shapes[input_name][1:]
        order = [r["index"] for r in rows]
        inputs = images[order].reshape(len(order), C, H, W).astype(np.float32)
        logits = np.array([r["logits"] for r in rows], dtype=np.float64)
        probabilities = np.array([r["probabilities"] for r in rows], dtype=np.float64)

    got_logits, got_probabilities = session.run(["logits", "probabilities"], {input_name: inputs})
    result = {
        "samples": len(inputs),
        "max_logit_difference": float(np.max(np.abs(got_logits - logits))),
        "max_probability_difference": float(np.max(np.abs(got_probabilities - probabilities))),
        "largest_logit": float(np.max(np.abs(logits))),
        "shapes": shapes,
        "opset": [[o.domain, o.version] for o in model.opset_import],
        "ir_version": model.ir_version,
        "ops": sorted({n.op_type for n in graph.node}),
        "metadata": {p.key: p.value for p in model.metadata_props},
        "dumps": {},
    }
    if batch == "dynamic" and len(inputs) > 1:
        # Any batch: the first sample alone gives the same answer.
        (alone,) = session.run(["logits"], {input_name: inputs[:1]})
        result["max_single_sample_difference"] = float(np.max(np.abs(alone - got_logits[:1])))
    elif batch != "dynamic":
        try:
            session.run(["logits"], {input_name: np.concatenate([inputs, inputs[:1]])})
            result["other_batch_refused"] = False
        except Exception:  # onnxruntime refuses an input whose fixed dimension differs
            result["other_batch_refused"] = True
    if input_name == "tokens" and batch == "dynamic" and inputs.shape[1] > 1:
        # Any length, and causal: the first half of each window alone gives the same logits there.
        half = inputs.shape[1] // 2
        (prefix,) = session.run(["logits"], {input_name: inputs[:, :half]})
        result["max_prefix_difference"] = float(np.max(np.abs(prefix - got_logits[:, :half])))
    initializers = {t.name: t for t in graph.initializer}
    for name in args.dump:
        result["dumps"][name] = numpy_helper.to_array(initializers[name]).astype(np.float64).ravel().tolist()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
