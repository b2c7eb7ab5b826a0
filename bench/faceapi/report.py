#!/usr/bin/env python3
"""Writes bench/results/faceapi.md and faceapi.csv from one run of bench/faceapi/run.sh: per model and
image, detseg's median and min end-to-end latency (JMH sample-time percentiles), the reference's on
TensorFlow.js cpu and wasm, and the ratio (faster reference / detseg; > 1 means detseg is faster)."""
import datetime
import json
import os
import platform
import statistics
import sys

detseg_path, ref_path, out_dir = sys.argv[1:4]
with open(detseg_path) as f:
    jmh = json.load(f)
with open(ref_path) as f:
    ref = json.load(f)

detseg = {}
for b in jmh:
    p = b["params"]
    m = b["primaryMetric"]
    pct = m["scorePercentiles"]
    detseg[(p["model"], p["image"])] = (pct["50.0"], pct["0.0"])

rows = []
for (model, image), (med, low) in sorted(detseg.items()):
    cpu = ref["cpu"][model][image]
    wasm = ref["wasm"][model][image]
    best = min(statistics.median(cpu), statistics.median(wasm))
    rows.append((model, image, med, low, statistics.median(cpu), statistics.median(wasm), best / med))

cpu_model = "unknown"
try:
    with open("/proc/cpuinfo") as f:
        cpu_model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
except (OSError, StopIteration):
    pass
load = os.getloadavg()[0]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
lines = [
    "# Face detection end to end: detseg vs @vladmandic/face-api 1.7.15",
    "",
    f"Run {now} on {cpu_model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
    f"1-minute load average at the end {load:.2f}. One run of `bench/faceapi/run.sh`.",
    "",
    "Each call decodes the JPEG, preprocesses, runs the network and post-processes. detseg: CPU backend, "
    "JMH sample time (median and min). Reference: TensorFlow.js 4.22 `cpu` and `wasm` backends in Node, "
    "median of the repeats. Ratio = the faster reference backend's median / detseg's median (> 1: detseg "
    "is faster; the issue's target is ≥ 3).",
    "",
    "| model | image | detseg median | detseg min | tfjs cpu | tfjs wasm | ratio | ≥ 3× |",
    "|---|---|---:|---:|---:|---:|---:|---|",
]
for model, image, med, low, cpu, wasm, ratio in rows:
    lines.append(f"| {model} | {image} | {med:.1f} ms | {low:.1f} ms | {cpu:.1f} ms | {wasm:.1f} ms | "
                 f"{ratio:.2f} | {'met' if ratio >= 3 else 'NOT met'} |")
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "faceapi.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(out_dir, "faceapi.csv"), "w") as f:
    f.write("model,image,detseg_median_ms,detseg_min_ms,tfjs_cpu_median_ms,tfjs_wasm_median_ms,ratio\n")
    for r in rows:
        f.write(",".join([r[0], r[1]] + [f"{x:.4f}" for x in r[2:]]) + "\n")
print("\n".join(lines))
