# shellcheck shell=bash
# Used by check.sh (sourced, not run): check and unpack deps/ (filled by
# fetch_debs.sh) and configure the CUDA build against it on the GPU machine.
# The caller sets SRC (repository root, the current directory), DEPS (where deps/debs is unpacked),
# BUILD (the build folder) and LOG (the folder for configure.log).
# Every function returns non-zero on failure instead of exiting, so check.sh can go on.

DEVICE_ARCH=x86_64-linux-gnu
DEVICE_MAX_CARRY_BYTES=$((64 * 1024 * 1024))  # what run(carry=...) takes with the working tree
DEVICE_NVJPEG_ROOT=deps/nvjpeg/nvidia/cu13

# Prints one line per problem with deps/ (nothing when it is ready to carry); returns 1 if any.
device_deps_problems() {
  local problems=0 size
  if [ ! -d deps ]; then
    echo "deps/ is missing: run 'bash scripts/device/fetch_debs.sh' here (it needs the network)"
    return 1
  fi
  if ! ls deps/debs/*.deb >/dev/null 2>&1; then echo "deps/debs has no .deb files"; problems=1; fi
  if [ ! -f "$DEVICE_NVJPEG_ROOT/include/nvjpeg.h" ]; then echo "$DEVICE_NVJPEG_ROOT/include/nvjpeg.h is missing"; problems=1; fi
  if ! ls deps/stubs/*.c >/dev/null 2>&1; then echo "deps/stubs has no stub sources"; problems=1; fi
  # The GPU machine has no ../shared: the nvJPEG test and check.sh's .beton use these JPEGs.
  if ! ls deps/shared/data/imagenet-sample/*.JPEG >/dev/null 2>&1; then
    echo "deps/shared/data/imagenet-sample has no JPEGs"
    problems=1
  fi
  size=$(du -sb deps | cut -f1)
  # The rest of the working tree travels too, so deps/ alone must already fit.
  if [ "$size" -gt "$DEVICE_MAX_CARRY_BYTES" ]; then
    echo "deps/ is $size bytes, over the $DEVICE_MAX_CARRY_BYTES bytes a run can carry"
    problems=1
  fi
  return $problems
}

# Unpacks the .debs into $DEPS, builds the load-time stubs and a pkg-config that runs from there.
device_unpack_deps() {
  local f c so lib="$DEPS/usr/lib/$DEVICE_ARCH"
  ls deps/debs/*.deb >/dev/null 2>&1 ||
    { echo "deps/debs missing: run scripts/device/fetch_debs.sh where there is network, and carry deps"; return 1; }
  echo "== unpack $(ls deps/debs/*.deb | wc -l) packages into $DEPS"
  mkdir -p "$DEPS/stubs" "$DEPS/bin" || return 1
  for f in deps/debs/*.deb; do dpkg -x "$f" "$DEPS" || return 1; done
  for c in deps/stubs/*.c; do
    [ -e "$c" ] || continue
    so=$(basename "$c" .c)
    cc -shared -fPIC -O0 -w -o "$DEPS/stubs/$so" -Wl,-soname,"$so" -Wl,--version-script="${c%.c}.map" "$c" || return 1
  done
  # Debian reaches BLAS/LAPACK through alternatives symlinks, which dpkg -x does not create.
  ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
  ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$lib" "$DEPS/usr/bin/pkgconf" > "$DEPS/bin/pkg-config"
  chmod +x "$DEPS/bin/pkg-config"
}

# Configures the CUDA Release build (ninja) in $BUILD against the unpacked $DEPS; log in $LOG/configure.log.
device_configure() {
  local lib="$DEPS/usr/lib/$DEVICE_ARCH"
  local libs="$lib:$lib/blas:$lib/lapack:$DEPS/stubs"
  # No global LD_LIBRARY_PATH (python3/torch must keep the image's own libraries): the binaries get
  # an RPATH (not RUNPATH, so it also serves OpenCV's own dependencies) to the unpacked libraries.
  export PKG_CONFIG_PATH="$lib/pkgconfig:$DEPS/usr/share/pkgconfig"
  export PKG_CONFIG_SYSROOT_DIR="$DEPS"  # the .pc files say /usr: prefix their -I/-L with $DEPS
  local pkgconf=(-DPKG_CONFIG_EXECUTABLE="$DEPS/bin/pkg-config")
  if command -v pkg-config >/dev/null; then pkgconf=(-DPKG_CONFIG_EXECUTABLE="$(command -v pkg-config)"); fi
  local shared=()
  if [ ! -d ../shared/data/imagenet-sample ]; then shared=(-DFASTIMG_SHARED_DIR="$SRC/deps/shared"); fi
  echo "== configure (CUDA) in $BUILD"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  if ! cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFASTIMG_CUDA=ON \
      -DCMAKE_PREFIX_PATH="$DEPS/usr" -DCMAKE_LIBRARY_ARCHITECTURE=$DEVICE_ARCH \
      -DFASTIMG_NVJPEG_ROOT="$SRC/$DEVICE_NVJPEG_ROOT" \
      -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags -Wl,-rpath-link,$libs -Wl,-rpath,$libs" \
      "${pkgconf[@]}" "${shared[@]}" > "$LOG/configure.log" 2>&1; then
    tail -40 "$LOG/configure.log"
    return 1
  fi
  grep -E "nvJPEG|CUDA NVCC flags" "$LOG/configure.log" || true
}

# The test executables labelled gpu in tests/*/CMakeLists.txt (fastimg_test(NAME ... LABELS gpu)),
# so new GPU tests are built without editing the device scripts.
device_gpu_test_targets() {
  grep -ho 'fastimg_test([A-Za-z0-9_]* .*LABELS[^)]*\bgpu\b' tests/*/CMakeLists.txt | sed 's/fastimg_test(\([A-Za-z0-9_]*\) .*/\1/' | sort -u
}
