#!/usr/bin/env bash
# Installs what the tests read from outside the repository: ONNX's operator conformance cases
# (Debian's libonnx-testdata). With --goldens it also installs what regenerating the golden files
# needs (python3-torch, python3-torchvision, python3-numpy), which the tests themselves do not.
set -euo pipefail
packages=(libonnx-testdata)
if [ "${1:-}" = "--goldens" ]; then
  packages+=(python3-numpy python3-torch python3-torchvision)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
