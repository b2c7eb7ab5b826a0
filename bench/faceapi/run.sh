#!/usr/bin/env bash
# Face detection end to end, detseg vs the reference, in one run: per image and model, detseg's CPU
# latency (JMH, FaceDetectLatencyBenchmark) and @vladmandic/face-api on TensorFlow.js with its cpu and
# wasm backends (reference_latency.mjs, run in a copy of shared/data/faceapi where `npm ci` installed
# the pinned packages). Writes bench/results/faceapi.md and faceapi.csv with the ratio to the faster
# reference backend.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${DETSEG_FACEAPI_DATA:-$root/../shared/data/faceapi}"
work="$root/bench/work/faceapi"
results="$root/bench/results"
repeats="${REPEATS:-5}"
mkdir -p "$work" "$results"

command -v node >/dev/null || { echo "faceapi bench: node is required (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d "$work/ref/node_modules/@vladmandic/face-api" ]; then
  echo "[faceapi 1/4] installing the reference (npm ci in a copy of $data)"
  rm -rf "$work/ref" && cp -r "$data" "$work/ref" && chmod -R u+w "$work/ref"
  (cd "$work/ref" && npm ci --no-audit --no-fund --silent)
fi

bjar="$root/bench/target/detseg-benchmarks.jar"
if [ ! -f "$bjar" ]; then
  echo "[faceapi 2/4] building"
  (cd "$root" && mvn -B -q -DskipTests package)
fi

echo "[faceapi 3/4] detseg (JMH, CPU)"
(cd "$root" && java -Ddetseg.faceapi="$data" -jar "$bjar" FaceDetectLatencyBenchmark -rf json -rff "$work/detseg.json" \
  -jvmArgsAppend "-Ddetseg.faceapi=$data" > "$work/detseg.log")

echo "[faceapi 4/4] reference (TensorFlow.js cpu and wasm, $repeats repeats per image)"
(cd "$work/ref" && node "$root/bench/faceapi/reference_latency.mjs" --models . --repeats "$repeats" \
  sample1.jpg sample2.jpg sample3.jpg sample4.jpg 2>/dev/null | tail -n 1 > "$work/reference.json")

python3 "$root/bench/faceapi/report.py" "$work/detseg.json" "$work/reference.json" "$results"
