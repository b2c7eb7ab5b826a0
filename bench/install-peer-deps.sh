#!/usr/bin/env bash
# Installs the benchmark's peer: Debian's PyTorch and torchvision, and OpenBLAS as the BLAS they load
# (libblas.so.3 is chosen by Debian's alternatives; without OpenBLAS it is the reference BLAS, on which
# torch's matmul and transposed convolution run ~50x slower, which would make every ratio against
# them meaningless). The OpenMP build of OpenBLAS, because torch runs its own threads on OpenMP: the
# pthreads build would add a second spinning thread pool on the same two cores. Nothing is installed
# when all are present.
set -euo pipefail
packages=(python3-numpy python3-torch python3-torchvision libopenblas0-openmp)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "bench: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
