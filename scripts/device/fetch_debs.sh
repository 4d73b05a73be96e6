#!/usr/bin/env bash
# Run HERE (network, Debian 12) before a GPU session: fills the git-ignored deps/ folder with what
# the GPU machine (no network, no Debian -dev packages, a different base image) needs to build and
# run fastimg. check.sh unpacks it there (scripts/device/lib.sh).
#   deps/debs/     headers, CMake/pkg-config files and shared libraries (the -dev packages and the
#                  runtime libraries they load), fetched with `apt-get download`, unpacked with dpkg -x
#   deps/stubs/    C sources of load-time stubs for the codecs OpenCV's imgcodecs links but fastimg
#                  never reaches (GDAL, GDCM, OpenEXR, OpenJPEG) and core's GLX: their real closure is
#                  >100 MiB of .debs (gdal alone pulls ~90 packages). The stubs define exactly the
#                  symbols OpenCV imports from them (libopencv_* are BIND_NOW) so the libraries load;
#                  JPEG/PNG/TIFF/WebP decoding stays real.
#   deps/nvjpeg/   nvJPEG's header and library from the nvidia-nvjpeg wheel (CUDA 13.0 images may
#                  ship the toolkit without it)
# Prints the total size; the working tree carried to the GPU machine must stay under 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p deps/debs deps/stubs deps/wheels

DEV="libturbojpeg0-dev libjpeg62-turbo-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
     libtomlplusplus-dev libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev libgtest-dev
     libbenchmark-dev libpng-dev"
# The shared libraries those link and their own needs, minus what every glibc system has (libc,
# libstdc++, libgcc, zlib) and minus the stubbed codecs.
RUNTIME="libturbojpeg0 libjpeg62-turbo libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406
         libtomlplusplus3 libyaml-cpp0.7 libfmt9 libbenchmark1debian
         libtbb12 libtbbmalloc2 liblapack3 libblas3 libgfortran5 libquadmath0
         libpng16-16 libtiff6 libdeflate0 libjbig0 liblerc4 libzstd1 liblzma5 libwebp7
         pkgconf pkgconf-bin libpkgconf3"
(cd deps/debs && apt-get download $DEV $RUNTIME)

# Stubs: sonames OpenCV needs but fastimg never calls into.
python3 - <<'PY'
import os, re, subprocess
LIB = "/usr/lib/x86_64-linux-gnu"
users = [f"{LIB}/libopencv_imgcodecs.so.406", f"{LIB}/libopencv_core.so.406", f"{LIB}/libopencv_imgproc.so.406"]
stubbed = ["libgdal.so.32", "libgdcmMSFF.so.3.0", "libgdcmDSED.so.3.0", "libOpenEXR-3_1.so.30",
           "libopenjp2.so.7", "libGLX.so.0"]
undefined = {}  # name -> version ("" when unversioned)
for u in users:
    for line in subprocess.run(["objdump", "-T", u], capture_output=True, text=True, check=True).stdout.splitlines():
        if "*UND*" not in line:
            continue
        parts = line.split()
        name = parts[-1]
        ver = parts[-2].strip("()") if parts[-2].startswith("(") else ""
        undefined[name] = "" if ver == "Base" else ver
for so in stubbed:
    real = os.path.realpath(f"{LIB}/{so}")
    out = subprocess.run(["objdump", "-T", real], capture_output=True, text=True, check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if "*UND*" not in l and re.search(r"\s(DF|DO)\s", l)}
    syms = sorted(s for s in defined if s in undefined)
    versions = {}
    for s in syms:
        versions.setdefault(undefined[s], []).append(s)
    with open(f"deps/stubs/{so}.c", "w") as f:
        f.write(f"/* Load-time stub for {so}: defines what OpenCV imports, never called by fastimg. */\n")
        for s in syms:
            f.write(f"void {s}(void) {{}}\n")
    with open(f"deps/stubs/{so}.map", "w") as f:
        named = {v: s for v, s in versions.items() if v}
        for v, s in named.items():
            f.write(f"{v} {{ global: {'; '.join(s)}; }};\n")
        if not named:
            f.write("{ global: *; };\n")
    print(f"stub {so}: {len(syms)} symbols, versions {sorted(v for v in versions if v) or 'none'}")
PY

# nvJPEG from the wheel matching the CUDA 13.0 toolkit.
if [ ! -f deps/nvjpeg/nvidia/cu13/include/nvjpeg.h ]; then
  python3 -m pip download -q --no-deps --only-binary=:all: -d deps/wheels nvidia-nvjpeg==13.0.2.28
  python3 -m zipfile -e deps/wheels/nvidia_nvjpeg-13.0.2.28-*.whl deps/nvjpeg
fi
rm -rf deps/wheels

# The first 64 ImageNet sample JPEGs for the nvJPEG-vs-CPU test (the GPU machine has no shared/).
mkdir -p deps/shared/data/imagenet-sample
ls ../shared/data/imagenet-sample/*.JPEG | sort | head -64 | xargs -I{} cp {} deps/shared/data/imagenet-sample/

echo "deps/debs:   $(du -sh deps/debs | cut -f1) in $(ls deps/debs | wc -l) packages"
echo "deps/nvjpeg: $(du -sh deps/nvjpeg | cut -f1)"
echo "deps/shared: $(du -sh deps/shared | cut -f1)"
echo "deps total:  $(du -sh deps | cut -f1)"
