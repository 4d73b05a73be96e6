#pragma once
// Launchers for the device stage's fused normalise kernel. Torch-free on purpose: the .cu file is
// compiled by nvcc without the LibTorch headers (faster, and no C++20 requirement on nvcc), the
// torch plumbing lives in cuda_device_stage.cc.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastimg::loader::internal {

enum class NormalizeOutput { kFloat32, kFloat16, kBFloat16 };

// dst[i] = src[i] * scale[c] + shift[c] for a uint8 NHWC batch of `pixels` RGB pixels (c = i % 3),
// written in the same (channels-last) order: 16-byte loads and stores where src/dst are aligned.
cudaError_t launch_normalize_channels_last(const uint8_t* src, void* dst, int64_t pixels, NormalizeOutput type,
                                           const float scale[3], const float shift[3], cudaStream_t stream);

// The same arithmetic written as planar NCHW (dst is [n, 3, hw]).
cudaError_t launch_normalize_planar(const uint8_t* src, void* dst, int64_t n, int64_t hw, NormalizeOutput type,
                                    const float scale[3], const float shift[3], cudaStream_t stream);

}  // namespace fastimg::loader::internal
