#!/usr/bin/env bash
# Sets up a clean Debian 12 machine for fastimg and builds it (Release) into build/: the CUDA
# build when a CUDA toolkit matching the torch wheel is present, the CPU-only build otherwise.
# Idempotent: installs only what is missing, then runs an incremental build.
#   FASTIMG_SKIP_BUILD=1  only install dependencies
#   FASTIMG_BUILD_DIR     build folder (default: build)
#   FASTIMG_CUDA=ON|OFF   force the CUDA or the CPU-only build (default: detected)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake pkg-config ccache git python3 python3-pip
  libjpeg62-turbo-dev libturbojpeg0-dev libpng-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libtomlplusplus-dev libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch comes from the torch wheel, pinned to the version the GPU machines run. torchvision,
# schedulefree, tensorboard and numpy are test-only references; pytest runs the Python tests and
# scikit-build-core builds the wheel of `pip install --no-build-isolation .`.
PYTHON=${PYTHON:-python3}
PIP_PACKAGES=(torch==2.11.0 torchvision==0.26.0 schedulefree==1.4.1 tensorboard==2.21.0 numpy pytest==8.3.4 scikit-build-core==0.10.7)
if ! "$PYTHON" - <<'PY' 2>/dev/null
import importlib.metadata as m
want = {"torch": "2.11.0", "torchvision": "0.26.0", "schedulefree": "1.4.1", "tensorboard": "2.21.0",
        "pytest": "8.3.4", "scikit-build-core": "0.10.7"}
for name, version in want.items():
    assert m.version(name).split("+")[0] == version, name
import numpy
PY
then
  log "pip install ${PIP_PACKAGES[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi

# The Python module (import fastimg) compiles against this interpreter's headers.
if ! "$PYTHON" -c 'import os, sysconfig; assert os.path.exists(sysconfig.get_paths()["include"] + "/Python.h")' 2>/dev/null; then
  log "apt-get install python3-dev (headers for the fastimg Python module)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3-dev >/dev/null
fi

# ffcv (test-only): the FFCV interop tests write with ffcv and read with fastimg and back. Its C
# extension needs a pkg-config shim for Debian's per-module OpenCV (see the script).
if ! "$PYTHON" -c 'import ffcv' >/dev/null 2>&1; then
  log "pip install ffcv==1.0.2 (test-only reference)"
  PYTHON="$PYTHON" bash tests/python/install_ffcv.sh >/tmp/fastimg-ffcv-install.log 2>&1 ||
    log "ffcv could not be installed (log: /tmp/fastimg-ffcv-install.log): the FFCV interop tests will skip"
fi

if [ "${FASTIMG_SKIP_BUILD:-0}" = "1" ]; then exit 0; fi

# One build, like PyTorch's: the CUDA build (FASTIMG_CUDA=ON) whenever nvcc's CUDA major version
# matches the torch wheel's, so that the same binary trains on a GPU when one is visible and on the
# CPU otherwise; the CPU-only build without a matching toolkit. FASTIMG_CUDA=ON|OFF overrides.
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
cuda_matches() {
  [ -n "$NVCC" ] || return 1
  local torch_cuda nvcc_cuda
  torch_cuda=$("$PYTHON" -c 'import torch; print(torch.version.cuda or "")' 2>/dev/null) || return 1
  nvcc_cuda=$("$NVCC" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
  [ -n "$torch_cuda" ] && [ "$nvcc_cuda" = "${torch_cuda%%.*}" ]
}
if [ -z "${FASTIMG_CUDA:-}" ]; then
  if cuda_matches; then FASTIMG_CUDA=ON; else FASTIMG_CUDA=OFF; fi
fi
CUDA_ARGS=(-DFASTIMG_CUDA="$FASTIMG_CUDA")
if [ "$FASTIMG_CUDA" = "ON" ]; then CUDA_ARGS+=(-DCMAKE_CUDA_COMPILER="$NVCC"); fi
# nvJPEG (data.decode = gpu): the CUDA toolkit may come without it; the 4 MB wheel matching torch's
# CUDA 13 has the header and the library.
NVJPEG_WHEEL=nvidia-nvjpeg==13.0.2.28
if [ "$FASTIMG_CUDA" = "ON" ] && ! "$PYTHON" -c 'import importlib.metadata as m; m.version("nvidia-nvjpeg")' >/dev/null 2>&1; then
  log "pip install $NVJPEG_WHEEL (nvJPEG for the CUDA build)"
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps "$NVJPEG_WHEEL"
fi

BUILD_DIR=${FASTIMG_BUILD_DIR:-build}
JOBS=$(nproc)
configured=$(sed -n 's/^FASTIMG_CUDA:BOOL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
if [ "$configured" != "$FASTIMG_CUDA" ]; then
  log "configure $BUILD_DIR (Release, FASTIMG_CUDA=$FASTIMG_CUDA)"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v "$PYTHON")" \
    "${CUDA_ARGS[@]}" >/dev/null
fi
log "build with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS"

# `import fastimg` from this checkout, like `pip install -e .`: a .pth file puts the package
# (python/) and the extension module built above (build/python/) on the interpreter's path.
PTH="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/fastimg.pth"
PTH_LINES="$(pwd)/python
$(cd "$BUILD_DIR" && pwd)/python"
if [ "$(cat "$PTH" 2>/dev/null)" != "$PTH_LINES" ]; then
  log "python: $PTH -> $(pwd)/python"
  printf '%s\n' "$PTH_LINES" | $SUDO tee "$PTH" >/dev/null
fi
