#!/usr/bin/env bash
# Builds the simulator, every kernel and the native tests with AddressSanitizer (each simulated
# device allocation its own heap block) and runs them, including the planted out-of-bounds test
# that must be caught.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${DETSEG_ASAN_BUILD:-$root/target/native-asan}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDETSEG_ASAN=ON -DDETSEG_JNI=OFF -DDETSEG_CUDA=OFF >/dev/null
cmake --build "$build" --parallel 2
cd "$build" && ctest --output-on-failure --output-junit ctest-junit.xml
