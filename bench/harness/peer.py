#!/usr/bin/env python3
"""The peer side of the benchmark harness: runs the selected cases through PyTorch/torchvision with
the same inputs, thread count, warm-up and iterations as detseg's JMH side.

usage: peer.py --cases WORK/cases.json --inputs WORK/inputs --out WORK/peer.json --threads N
               --warmup W --iterations M --iteration-ms T [--cuda auto|off]
       peer.py ... --serve IN_FIFO --ack ACK_FIFO   (the same, case by case: reads case ids from
                      IN_FIFO, runs each as it comes and writes "done <id>" to ACK_FIFO; bench/run keeps
                      the peer's processes alive this way while it times detseg case by case)
       peer.py --check        (exit 0 when torch and torchvision import, else print how to install them)

Needs Debian's PyTorch: apt-get install python3-torch python3-torchvision

Each case's PyTorch code comes from bench/peer/<family>.py, <family> being the stem of the case file
(bench/cases/<family>.json): `forward(op, inputs, params)` gets a dict of torch tensors (the .npy
inputs; those listed in GRAD_INPUTS[op] have requires_grad set when the case times the backward) and
the params as strings, and returns the output tensor or a tuple of them.

Timing, like JMH's average-time mode: W warm-up then M measured iterations of T ms; an iteration
calls the op until T ms have passed (at least once) and yields its mean time per call. The forward
runs under torch.no_grad() (no autograd graph, as detseg's forward keeps none); the backward is
timed alone: the forward runs once with autograd on, then each call is torch.autograd.grad of every
float output with a gradient of ones (retain_graph=True). Results are made contiguous (detseg's always
are): free for ordinary tensors, a real copy for views such as sum()'s expanded gradient. CUDA (when torch.cuda.is_available() and
not --cuda off): each call is bracketed by CUDA events and synchronized; iterations report event times.
Writes --out after every case, so a partial run keeps what it measured.
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

INSTALL = "apt-get install python3-torch python3-torchvision"
BLAS_INSTALL = "apt-get install libopenblas0-openmp (bench/install-peer-deps.sh does it)"


def mapped_libraries():
    """The files mapped into this process, sorted (empty when /proc/self/maps cannot be read)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            return sorted({line.split()[-1] for line in f if "/" in line})
    except OSError:
        return []


def is_openblas(path):
    """Whether a mapped library is OpenBLAS (as libblas.so.3 through Debian's alternatives, or itself)."""
    name = os.path.basename(path)
    return "openblas" in os.path.realpath(path) and (name.startswith("libblas.so") or "openblas" in name)


def openblas_corename(path):
    """The kernel set the OpenBLAS at path runs in this process (raises OSError / AttributeError)."""
    import ctypes
    lib = ctypes.CDLL(path)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def loaded_blas():
    """The BLAS torch's libblas.so.3 resolved to in this process (Debian picks it by alternatives):
    torch runs matmul, linear and its transposed convolution (no oneDNN path) on it."""
    paths = mapped_libraries()
    if not paths:
        return "unknown"
    for path in paths:
        name = os.path.basename(path)
        real = os.path.realpath(path)
        if is_openblas(path):
            return "OpenBLAS (%s%s)" % (openblas_core(path), real)
        if name.startswith("libblas.so") or name.startswith("libmkl"):
            return "reference BLAS (%s)" % real
    return "unknown"


def openblas_core(path):
    """The kernel set OpenBLAS chose ("core Cooperlake; " ...), or "" when it does not say: its speed
    here differs ~2x between the AVX2 and AVX-512 cores, and OPENBLAS_CORETYPE overrides the choice."""
    try:
        core = openblas_corename(path)
        forced = os.environ.get("OPENBLAS_CORETYPE")
        detected = os.environ.get("DETSEG_OPENBLAS_DETECTED")
        why = ", forced by OPENBLAS_CORETYPE" if forced else ""
        if forced and detected:
            why += " (bench/run: OpenBLAS's own detection picked %s on this CPU)" % detected
        return "core %s%s; " % (core, why)
    except (OSError, AttributeError):
        return ""


def import_torch():
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        sys.stderr.write("peer.py: PyTorch is missing (%s). Install Debian's packages: %s\n" % (e, INSTALL))
        sys.exit(2)
    import torch
    import torchvision
    return torch, torchvision


def load_family(peer_dir, family, cache):
    if family in cache:
        return cache[family]
    path = os.path.normpath(os.path.join(peer_dir, family + ".py"))
    if not os.path.exists(path):
        raise RuntimeError("no peer mapping %s for the cases of %s.json" % (path, family))
    spec = importlib.util.spec_from_file_location("detseg_peer_" + family, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for attr in ("forward", "GRAD_INPUTS"):
        if not hasattr(mod, attr):
            raise RuntimeError("%s defines no %s" % (path, attr))
    cache[family] = mod
    return mod


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def dense(out):
    """Makes every returned tensor contiguous, as detseg's always are: a no-op for ordinary results,
    a real copy for views such as the expanded gradient of sum()."""
    return tuple(o.contiguous() if hasattr(o, "contiguous") else o for o in as_tuple(out))


def time_iterations(torch, fn, device, warmup, iterations, iteration_s):
    """Per-iteration mean time per call (µs) of the measured iterations."""
    cuda = device == "cuda"
    if cuda:
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
    result = []
    for it in range(warmup + iterations):
        calls = 0
        event_ms = 0.0
        t0 = time.perf_counter()
        while True:
            if cuda:
                start.record()
                fn()
                stop.record()
                stop.synchronize()
                event_ms += start.elapsed_time(stop)
            else:
                fn()
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= iteration_s:
                break
        if it >= warmup:
            result.append(event_ms * 1e3 / calls if cuda else elapsed * 1e6 / calls)
    return result


def run_case(torch, np, case, family, inputs_dir, device, pass_name, args):
    ins = {}
    grad_names = family.GRAD_INPUTS.get(case["op"], []) if pass_name == "backward" else []
    for name in case["inputs"]:
        arr = np.load(os.path.join(inputs_dir, case["id"], name + ".npy"))
        t = torch.from_numpy(arr).to(device)
        if name in grad_names:
            t.requires_grad_(True)
        ins[name] = t
    params = dict(case["params"])
    op = case["op"]
    if pass_name == "forward":
        def fn():
            with torch.no_grad():
                return dense(family.forward(op, ins, params))
    else:
        if not grad_names:
            raise RuntimeError("GRAD_INPUTS has no entry for op '%s' in the peer mapping" % op)
        outs = [o for o in as_tuple(family.forward(op, ins, params))
                if torch.is_tensor(o) and o.requires_grad and o.is_floating_point()]
        if not outs:
            raise RuntimeError("the peer's forward of '%s' returns no output that requires grad" % op)
        ones = [torch.ones_like(o) for o in outs]
        wrt = [ins[n] for n in grad_names]

        def fn():
            return dense(torch.autograd.grad(outs, wrt, grad_outputs=ones, retain_graph=True, allow_unused=True))
    fn()  # one untimed call: a failure here names the case
    if device == "cuda":
        torch.cuda.synchronize()
    return time_iterations(torch, fn, device, args.warmup, args.iterations, args.iteration_ms / 1e3)


def fmt_us(us):
    if us < 1:
        return "%.3g ns" % (us * 1e3)
    if us < 1e3:
        return "%.3g µs" % us
    if us < 1e6:
        return "%.3g ms" % (us / 1e3)
    return "%.3g s" % (us / 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--cases")
    ap.add_argument("--inputs")
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--iteration-ms", type=float, default=100)
    ap.add_argument("--cuda", choices=["auto", "off"], default="auto")
    ap.add_argument("--serve", metavar="IN_FIFO")
    ap.add_argument("--ack", metavar="ACK_FIFO")
    ap.add_argument("--peer-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peer"))
    args = ap.parse_args()
    torch, torchvision = import_torch()
    blas = loaded_blas()
    if args.check:
        print("peer: torch %s, torchvision %s, BLAS %s" % (torch.__version__, torchvision.__version__, blas))
        if not blas.startswith("OpenBLAS"):
            # The reference BLAS runs torch's matmul and transposed convolution ~50x slower than any
            # tuned BLAS: ratios against it would flatter detseg. Refuse rather than publish them.
            sys.stderr.write("peer.py: torch's BLAS is %s, not OpenBLAS. Install: %s\n" % (blas, BLAS_INSTALL))
            return 2
        return 0
    for req in ("cases", "inputs", "out", "threads"):
        if getattr(args, req) is None:
            ap.error("--%s is required" % req)
    if (args.serve is None) != (args.ack is None):
        ap.error("--serve and --ack go together")
    import numpy as np

    torch.set_num_threads(args.threads)
    with open(args.cases, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    use_cuda = args.cuda == "auto" and torch.cuda.is_available()
    report = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "blas": blas,
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if use_cuda else (
            "off (--cuda off)" if args.cuda == "off" else "not available to torch"),
        "results": [],
    }
    devices = ["cpu"] + (["cuda"] if use_cuda else [])

    def jobs_of(selected):
        return [(c, dev, p) for dev in devices for c in selected
                for p in (["forward", "backward"] if c["backward"] else ["forward"])]

    families = {}
    if args.serve:
        # One long-lived process fed case by case (bench/run times each case on detseg first): torch's
        # import and first calls are paid once, not inside every case.
        by_id = {c["id"]: c for c in cases}
        write_report(report, args.out)
        with open(args.serve, encoding="utf-8") as requests, open(args.ack, "w", encoding="utf-8") as ack:
            for line in requests:
                cid = line.strip()
                if cid not in by_id:
                    ack.write("error no case %s\n" % cid)
                else:
                    run_jobs(torch, np, jobs_of([by_id[cid]]), families, report, args)
                    ack.write("done %s\n" % cid)
                ack.flush()
        return 0
    jobs = jobs_of(cases)
    run_jobs(torch, np, jobs, families, report, args)
    if not jobs:
        write_report(report, args.out)
    return 0


def write_report(report, out):
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    os.replace(out + ".tmp", out)


def run_jobs(torch, np, jobs, families, report, args):
    for i, (case, dev, pass_name) in enumerate(jobs):
        sys.stdout.write("[peer %d/%d] %s %s %s ... " % (i + 1, len(jobs), case["id"], pass_name, dev))
        sys.stdout.flush()
        entry = {"case": case["id"], "backend": dev, "pass": pass_name}
        try:
            fam = load_family(args.peer_dir, os.path.splitext(case["file"])[0], families)
            its = run_case(torch, np, case, fam, args.inputs, dev, pass_name, args)
            entry["iterations_us"] = its
            print("median %s, min %s" % (fmt_us(statistics.median(its)), fmt_us(min(its))), flush=True)
        except Exception as e:  # noqa: BLE001 - one failing case must not stop the others
            entry["error"] = "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
            print("FAILED: " + entry["error"], flush=True)
        report["results"].append(entry)
        write_report(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
