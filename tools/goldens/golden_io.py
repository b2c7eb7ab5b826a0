"""Shared by the golden generators in tools/goldens/: where goldens go and how they are written.

Each generator is run with Debian's python3 (python3-torch, python3-torchvision; see
tools/install-test-deps.sh) from the top of the checkout, e.g. `/usr/bin/python3 tools/goldens/nms.py`,
and writes java/src/test/resources/goldens/<family>/<case>/<name>.npy. Outputs are small and committed.
"""
import os
import shutil

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "java", "src", "test",
                    "resources", "goldens")


def family_dir(family, clean=True):
    """The folder of one family's goldens, emptied first so stale cases never linger."""
    d = os.path.join(ROOT, family)
    if clean and os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d, exist_ok=True)
    return d


def save(family, case, **arrays):
    """Writes each array as <family>/<case>/<name>.npy: float64 → float32, int64 → int32 (checked)."""
    d = os.path.join(ROOT, family, case)
    os.makedirs(d, exist_ok=True)
    for name, a in arrays.items():
        a = np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        if a.dtype == np.int64:
            assert a.size == 0 or (a.min() >= -2**31 and a.max() < 2**31), f"{case}/{name} overflows int32"
            a = a.astype(np.int32)
        if a.dtype == np.bool_:
            a = a.astype(np.uint8)
        # np.ascontiguousarray would turn a 0-d array into 1-d; require() keeps the rank.
        np.save(os.path.join(d, name + ".npy"), np.require(a, requirements="C"))
