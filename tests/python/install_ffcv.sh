#!/usr/bin/env bash
# Installs the ffcv package (the .beton reference implementation, test-only) into python3.
# ffcv 1.0.2 builds a C extension against pkg-config's opencv4 and libturbojpeg. Debian here has
# only OpenCV's core/imgproc/imgcodecs -dev packages and no opencv4.pc, and ffcv includes
# <opencv2/opencv.hpp>, which pulls every module's header. So: a generated opencv4.pc whose
# include path starts with a shim opencv.hpp that includes just the three installed modules.
set -euo pipefail
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/include/opencv2"
cat > "$shim/include/opencv2/opencv.hpp" <<'HPP'
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
HPP
libdir=$(dirname "$(ls /usr/lib/*/libopencv_core.so | head -1)")
cat > "$shim/opencv4.pc" <<PC
Name: OpenCV
Description: per-module OpenCV for building ffcv
Version: 4
Libs: -L$libdir -lopencv_imgcodecs -lopencv_imgproc -lopencv_core
Cflags: -I$shim/include -I/usr/include/opencv4
PC
cp "$shim/opencv4.pc" "$shim/opencv.pc"
PKG_CONFIG_PATH="$shim${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" "${PYTHON:-python3}" -m pip install ffcv==1.0.2
"${PYTHON:-python3}" -c 'import ffcv; print("ffcv", ffcv.__file__)'
