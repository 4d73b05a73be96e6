#!/usr/bin/env bash
# Sets up a clean Debian 12 machine for fastimg and builds it (Release) into build/.
# Idempotent: installs only what is missing, then runs an incremental build.
#   FASTIMG_SKIP_BUILD=1  only install dependencies
#   FASTIMG_BUILD_DIR     build folder (default: build)
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
# schedulefree, tensorboard and numpy are test-only references.
PYTHON=${PYTHON:-python3}
PIP_PACKAGES=(torch==2.11.0 torchvision==0.26.0 schedulefree==1.4.1 tensorboard==2.21.0 numpy)
if ! "$PYTHON" - <<'PY' 2>/dev/null
import importlib.metadata as m
want = {"torch": "2.11.0", "torchvision": "0.26.0", "schedulefree": "1.4.1", "tensorboard": "2.21.0"}
for name, version in want.items():
    assert m.version(name).split("+")[0] == version, name
import numpy
PY
then
  log "pip install ${PIP_PACKAGES[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi

# ffcv (test-only): the FFCV interop tests write with ffcv and read with fastimg and back. Its C
# extension needs a pkg-config shim for Debian's per-module OpenCV (see the script).
if ! "$PYTHON" -c 'import ffcv' >/dev/null 2>&1; then
  log "pip install ffcv==1.0.2 (test-only reference)"
  PYTHON="$PYTHON" bash tests/python/install_ffcv.sh >/tmp/fastimg-ffcv-install.log 2>&1 ||
    log "ffcv could not be installed (log: /tmp/fastimg-ffcv-install.log): the FFCV interop tests will skip"
fi

if [ "${FASTIMG_SKIP_BUILD:-0}" = "1" ]; then exit 0; fi

BUILD_DIR=${FASTIMG_BUILD_DIR:-build}
JOBS=$(nproc)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  log "configure $BUILD_DIR (Release)"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
fi
log "build with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS"
