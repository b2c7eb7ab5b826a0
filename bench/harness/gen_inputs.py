#!/usr/bin/env python3
"""Writes the input tensors of the selected benchmark cases as .npy files, so detseg (JMH) and the
peer (PyTorch) read identical data.

usage: gen_inputs.py WORK/cases.json WORK/inputs

For each case of cases.json (written by `detseg bench --select`, already validated) and each of its
inputs, writes WORK/inputs/<case id>/<input name>.npy. The random generator of an input is seeded
from its case id and input name (SHA-256), so a case's data never changes when other cases or other
inputs are added. A case whose spec.json (its inputs' specification) is unchanged is not regenerated.

Generators (the schema is in bench/README.md):
  uniform  (low, high)                     float32, uniform in [low, high)
  normal   (mean, std)                     float32
  boxes    (image, min_size, max_size)     float32 [N, 4] x1,y1,x2,y2 inside image x image, sides in [min, max]
  rois     (batch, image_h, image_w, min_size, max_size, scale=1)
                                           float32 [K, 5]: batch index, then x1,y1,x2,y2 inside
                                           image_w x image_h with sides in [min, max], times scale
  randint  (low, high)                     int32 in [low, high)
  labels   (classes)                       int32 in [0, classes)
"""

import hashlib
import json
import os
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("gen_inputs.py: numpy is missing: apt-get install python3-numpy")


def rng_for(case_id, name):
    seed = int.from_bytes(hashlib.sha256(("%s/%s" % (case_id, name)).encode()).digest()[:8], "little")
    return np.random.default_rng(seed)


def _box_corners(rng, n, width, height, min_size, max_size):
    w = rng.uniform(min_size, max_size, n)
    h = rng.uniform(min_size, max_size, n)
    x1 = rng.uniform(0.0, 1.0, n) * (width - w)
    y1 = rng.uniform(0.0, 1.0, n) * (height - h)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1)


def generate(case_id, name, spec):
    """Returns the numpy array of one input spec {"gen": ..., "shape": [...], args...}."""
    rng = rng_for(case_id, name)
    gen = spec["gen"]
    shape = tuple(int(d) for d in spec["shape"])
    if gen == "uniform":
        return rng.uniform(spec["low"], spec["high"], shape).astype(np.float32)
    if gen == "normal":
        return rng.normal(spec["mean"], spec["std"], shape).astype(np.float32)
    if gen == "boxes":
        if len(shape) != 2 or shape[1] != 4:
            raise ValueError("boxes: shape must be [N, 4], got %s" % (list(shape),))
        image = float(spec["image"])
        return _box_corners(rng, shape[0], image, image, spec["min_size"], spec["max_size"]).astype(np.float32)
    if gen == "rois":
        if len(shape) != 2 or shape[1] != 5:
            raise ValueError("rois: shape must be [K, 5], got %s" % (list(shape),))
        k = shape[0]
        idx = rng.integers(0, int(spec["batch"]), k).astype(np.float64)
        xyxy = _box_corners(rng, k, float(spec["image_w"]), float(spec["image_h"]), spec["min_size"],
                            spec["max_size"]) * float(spec.get("scale", 1.0))
        return np.concatenate([idx[:, None], xyxy], axis=1).astype(np.float32)
    if gen == "randint":
        return rng.integers(int(spec["low"]), int(spec["high"]), shape, dtype=np.int64).astype(np.int32)
    if gen == "labels":
        return rng.integers(0, int(spec["classes"]), shape, dtype=np.int64).astype(np.int32)
    raise ValueError("unknown generator '%s'" % gen)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    out_root = argv[2]
    made = 0
    for i, case in enumerate(cases):
        d = os.path.join(out_root, case["id"])
        spec = json.dumps(case["inputs"], sort_keys=True)
        spec_file = os.path.join(d, "spec.json")
        names = list(case["inputs"])
        if os.path.exists(spec_file) and all(os.path.exists(os.path.join(d, n + ".npy")) for n in names):
            with open(spec_file, encoding="utf-8") as f:
                if f.read() == spec:
                    continue
        os.makedirs(d, exist_ok=True)
        total = 0
        for name in names:
            try:
                arr = generate(case["id"], name, case["inputs"][name])
            except (KeyError, ValueError) as e:
                sys.exit("gen_inputs.py: case '%s', input '%s': %s" % (case["id"], name, e))
            np.save(os.path.join(d, name + ".npy"), arr)
            total += arr.nbytes
        with open(spec_file, "w", encoding="utf-8") as f:
            f.write(spec)
        made += 1
        print("[inputs %d/%d] %s: %s (%.1f MiB)" % (i + 1, len(cases), case["id"], ", ".join(names), total / 2**20),
              flush=True)
    print("inputs: %d case(s) generated, %d up to date" % (made, len(cases) - made), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
