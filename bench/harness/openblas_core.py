#!/usr/bin/env python3
"""Prints the OpenBLAS core the benchmark's peer must be forced to, or nothing when OpenBLAS's own
CPU detection already picks the strongest kernels this CPU runs.

usage: openblas_core.py        (run by bench/run with every OPENBLAS_* variable cleared)

Why: Debian's OpenBLAS (0.3.21) identifies CPUs by family and model. On a model it does not know
(Emerald Rapids, family 6 model 207, on some of these VMs) it falls back to its Prescott (SSE3)
kernels: sgemm 1024 ran at 84 GFLOP/s there against 420 with the Cooperlake ones the same CPU
runs, and the peer's matmul and transposed convolution would flatter detseg ~5x. The strongest core
named by the CPU's flags (avx512_bf16: Cooperlake; AVX-512 F/BW/DQ/VL: SkylakeX; AVX2 + FMA:
Haswell) replaces a weaker detected one, checked by loading OpenBLAS with it set (a core this
OpenBLAS lacks is not printed). Prints "<core> <detected core>".
"""

import os
import subprocess
import sys

import peer  # this folder's peer.py (the script's folder is on sys.path)

# Weakest first: detection is replaced only by a core further down this list.
RANK = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge", "Haswell", "Zen", "SkylakeX",
        "Cooperlake", "SapphireRapids"]


def cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def strongest_core(flags):
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "Cooperlake" if "avx512_bf16" in flags else "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def openblas_path():
    """The OpenBLAS torch resolves libblas.so.3 to (as bench/harness/peer.py finds it), or None."""
    import torch  # noqa: F401  (loads the BLAS)
    return next((p for p in peer.mapped_libraries() if peer.is_openblas(p)), None)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--name":  # the child: the core OpenBLAS runs here
        print(peer.openblas_corename(sys.argv[2]))
        return 0
    try:
        path = openblas_path()
    except ImportError:
        return 0
    if path is None:
        return 0
    detected = peer.openblas_corename(path)
    best = strongest_core(cpu_flags())
    if best is None or detected not in RANK or RANK.index(detected) >= RANK.index(best):
        return 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    env["OPENBLAS_CORETYPE"] = best
    got = subprocess.run([sys.executable, __file__, "--name", path], env=env, capture_output=True, text=True,
                         check=False).stdout.strip()
    if got == best:
        print(best, detected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
