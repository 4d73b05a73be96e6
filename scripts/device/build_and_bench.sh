#!/usr/bin/env bash
# On a GPU machine (H100/H200; python3 with torch 2.11+cu130, CUDA 13 + nvcc, CMake, ninja; no
# network, no Debian -dev packages): unpack deps/ (filled beforehand by fetch_debs.sh), configure a
# CUDA build, build the GPU tests and bench/gpu, run the tests, then the training-step comparison.
# From a session (deps/ is git-ignored, so carry it):
#   run(command="bash scripts/device/build_and_bench.sh", carry=["deps"], timeout_s=600)
# Environment: DEPS (default /opt/deps), BUILD (default /tmp/fastimg-build-cuda), BENCH_ITERS (20),
# BENCH_ARGS (extra compare.py arguments), SKIP_BENCH=1, CONFIGURE_ONLY=1. Logs and results go to $OUT when set.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
DEPS=${DEPS:-/opt/deps}
BUILD=${BUILD:-/tmp/fastimg-build-cuda}
LOG=${OUT:-/tmp}
JOBS=$(nproc)
[ -d deps/debs ] || { echo "deps/debs missing: run scripts/device/fetch_debs.sh where there is network, and carry deps"; exit 1; }

echo "== unpack $(ls deps/debs/*.deb | wc -l) packages into $DEPS"
mkdir -p "$DEPS/stubs"
for f in deps/debs/*.deb; do dpkg -x "$f" "$DEPS"; done
ARCH=x86_64-linux-gnu
LIBS="$DEPS/usr/lib/$ARCH:$DEPS/usr/lib/$ARCH/blas:$DEPS/usr/lib/$ARCH/lapack:$DEPS/stubs"
for c in deps/stubs/*.c; do
  so=$(basename "$c" .c)
  cc -shared -fPIC -O0 -w -o "$DEPS/stubs/$so" -Wl,-soname,"$so" -Wl,--version-script="${c%.c}.map" "$c"
done
# Debian reaches BLAS/LAPACK through alternatives symlinks, which dpkg -x does not create.
ln -sf blas/libblas.so.3 "$DEPS/usr/lib/$ARCH/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$DEPS/usr/lib/$ARCH/liblapack.so.3"
# No global LD_LIBRARY_PATH (python3/torch must keep the image's own libraries): the binaries get
# an RPATH (not RUNPATH, so it also serves OpenCV's own dependencies) to the unpacked libraries.
export PKG_CONFIG_PATH="$DEPS/usr/lib/$ARCH/pkgconfig:$DEPS/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$DEPS"  # the .pc files say /usr: prefix their -I/-L with $DEPS
mkdir -p "$DEPS/bin"
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$DEPS/usr/lib/$ARCH" "$DEPS/usr/bin/pkgconf" > "$DEPS/bin/pkg-config"
chmod +x "$DEPS/bin/pkg-config"
PKGCONF_ARG=(-DPKG_CONFIG_EXECUTABLE="$DEPS/bin/pkg-config")
if command -v pkg-config >/dev/null; then PKGCONF_ARG=(-DPKG_CONFIG_EXECUTABLE="$(command -v pkg-config)"); fi
SHARED_ARG=()
if [ ! -d ../shared/data/imagenet-sample ]; then SHARED_ARG=(-DFASTIMG_SHARED_DIR="$SRC/deps/shared"); fi

echo "== configure (CUDA) in $BUILD"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFASTIMG_CUDA=ON \
  -DCMAKE_PREFIX_PATH="$DEPS/usr" -DCMAKE_LIBRARY_ARCHITECTURE=$ARCH \
  -DFASTIMG_NVJPEG_ROOT="$SRC/deps/nvjpeg/nvidia/cu13" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags -Wl,-rpath-link,$LIBS -Wl,-rpath,$LIBS" \
  "${PKGCONF_ARG[@]}" "${SHARED_ARG[@]}" > "$LOG/configure.log" 2>&1 || { tail -40 "$LOG/configure.log"; exit 1; }
grep -E "nvJPEG|CUDA NVCC flags" "$LOG/configure.log" || true
[ "${CONFIGURE_ONLY:-0}" = 1 ] && exit 0  # for checking the unpacked dependencies without a GPU

echo "== build GPU tests and bench/gpu (-j$JOBS)"
TARGETS="cuda_device_stage_test nvjpeg_decoder_test cuda_graph_step_test device_stage_test train_step_bench"
time ninja -C "$BUILD" -j"$JOBS" $TARGETS > "$LOG/build.log" 2>&1 || { grep -A20 FAILED "$LOG/build.log" | head -80; exit 1; }

echo "== GPU tests"
rc=0
for t in loader/cuda_device_stage_test codec/nvjpeg_decoder_test train/cuda_graph_step_test loader/device_stage_test; do
  name=$(basename "$t")
  if "$BUILD/tests/$t" > "$LOG/$name.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name"; rc=1; fi
  grep -E "^\[ +(OK|FAILED|SKIPPED) +\]|Failure|nvJPEG vs|Error|error" "$LOG/$name.log" | head -40 || true
done

if [ "${SKIP_BENCH:-0}" != 1 ]; then
  echo "== bench/gpu: PyTorch eager (a) vs fastimg CUDA graph (b)"
  python3 bench/gpu/compare.py --exe "$BUILD/bench/gpu/train_step_bench" --iters "${BENCH_ITERS:-20}" --warmup 5 \
    ${BENCH_ARGS:-} 2>&1 | tee "$LOG/bench.txt"
fi
exit $rc
