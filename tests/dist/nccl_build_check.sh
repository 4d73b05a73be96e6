#!/usr/bin/env bash
# The NCCL path builds: configures fastimg with FASTIMG_CUDA=ON against the CUDA-enabled LibTorch
# of the pip wheel, compiles src/dist (ProcessGroupNCCL) and links the multi-process test binary
# against libtorch_cuda, then checks that the NCCL backend is in the objects. Nothing runs on a
# GPU here. Exit 77 (ctest: skipped) when there is no nvcc or the wheel has no CUDA.
#   nccl_build_check.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
out=$2
nvcc=$(command -v nvcc || true)
[ -n "$nvcc" ] || nvcc=$(ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [ -z "$nvcc" ]; then
  echo "skipped: no nvcc (CUDA toolkit) on this machine"
  exit 77
fi
if ! python3 -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)'; then
  echo "skipped: the installed torch wheel is not a CUDA build"
  exit 77
fi
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release -DFASTIMG_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DPython3_EXECUTABLE="$(command -v python3)" >/dev/null
cmake --build "$out" --target dist_process_group_test -j 2
lib=$(find "$out" -name libfastimg_dist.a | head -1)
# Listings go to files first: `nm | grep -q` fails under pipefail when grep stops reading early.
symbols=$(nm -C "$lib")
if ! grep -q 'U c10d::ProcessGroupNCCL::ProcessGroupNCCL(' <<<"$symbols"; then
  echo "error: $lib has no ProcessGroupNCCL: the NCCL path was not compiled in"
  exit 1
fi
test_bin=$(find "$out" -type f -name dist_process_group_test | head -1)
libs=$(ldd "$test_bin")
if ! grep -q libtorch_cuda <<<"$libs"; then
  echo "error: $test_bin does not link libtorch_cuda"
  exit 1
fi
echo "NCCL path built: $lib references ProcessGroupNCCL; $test_bin links libtorch_cuda ($(python3 -c 'import torch; print(torch.__version__)'))"
