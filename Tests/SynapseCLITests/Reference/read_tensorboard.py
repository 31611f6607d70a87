"""Reads the TensorBoard event files of a `synapse train` run directory with TensorBoard's own
loaders and prints what they hold as one JSON object (used by CLITensorBoardTests):

  files    the event files, in name order
  first    per file, the file_version of its first event
  raw      every summary event straight from each file (tensorboard's EventFileLoader, which checks
           both CRC-32Cs of every record): [file, step, [tags]]
  scalars  tag -> [[step, value], ...] as TensorBoard's EventAccumulator serves them
  texts    tag -> [[step, text], ...] for the text plugin's tensors
  plugins  tag -> plugin name of its summary metadata

Usage: python3 read_tensorboard.py RUN_DIR
"""
import json
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.util import tensor_util


def number(x):
    return x if math.isfinite(x) else None   # JSON has no NaN


def main(run):
    files = sorted(name for name in os.listdir(run) if "tfevents" in name)
    first, raw = {}, []
    for name in files:
        for i, event in enumerate(event_file_loader.EventFileLoader(os.path.join(run, name)).Load()):
            if i == 0:
                first[name] = event.file_version
            if event.HasField("summary"):
                raw.append([name, event.step, [v.tag for v in event.summary.value]])

    acc = event_accumulator.EventAccumulator(
        run, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    scalars = {tag: [[e.step, number(e.value)] for e in acc.Scalars(tag)] for tag in tags["scalars"]}
    texts = {tag: [[e.step, tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8")] for e in acc.Tensors(tag)]
             for tag in tags["tensors"]}
    plugins = {tag: acc.SummaryMetadata(tag).plugin_data.plugin_name for tag in tags["tensors"]}
    print(json.dumps({"files": files, "first": first, "raw": raw, "scalars": scalars, "texts": texts,
                      "plugins": plugins}))


if __name__ == "__main__":
    main(sys.argv[1])
