#!/usr/bin/env bash
# In the CUDA build (FASTIMG_CUDA=ON, what scripts/setup.sh configures when nvcc matches torch's
# CUDA): the dist library references ProcessGroupNCCL and the multi-process test links
# libtorch_cuda. Nothing runs on a GPU.
#   nccl_linked_check.sh LIBFASTIMG_DIST_A TEST_BINARY
set -euo pipefail
lib=$1
test_bin=$2
symbols=$(nm -C "$lib")
if ! grep -q 'U c10d::ProcessGroupNCCL::ProcessGroupNCCL(' <<<"$symbols"; then
  echo "error: $lib has no ProcessGroupNCCL: the NCCL path was not compiled in"
  exit 1
fi
libs=$(ldd "$test_bin")
if ! grep -q libtorch_cuda <<<"$libs"; then
  echo "error: $test_bin does not link libtorch_cuda"
  exit 1
fi
echo "NCCL path built: $lib references ProcessGroupNCCL; $test_bin links libtorch_cuda"
