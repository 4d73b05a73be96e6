// The device stage's one fused kernel: uint8 -> (x * scale + shift) -> float/half/bfloat16.
// Memory-bound, so the work is in the access pattern: each thread reads 16 input bytes with one
// 128-bit load and writes 16 outputs with 128-bit stores; the channel of byte i is i % 3.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "loader/internal/normalize_kernel.h"

namespace fastimg::loader::internal {
namespace {

struct Affine {
  float scale[3];
  float shift[3];
};

template <typename T>
__device__ __forceinline__ T convert(float v);
template <>
__device__ __forceinline__ float convert<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half convert<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 convert<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// One 16-byte chunk per thread, grid-stride; the scalar tail (and any misaligned batch) takes the
// per-element path below.
template <typename T>
__global__ void normalize_vec16(const uint4* __restrict__ src, T* __restrict__ dst, int64_t chunks, Affine a) {
  for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < chunks;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint4 v = src[k];
    const uint8_t* b = reinterpret_cast<const uint8_t*>(&v);
    int c = static_cast<int>((k * 16) % 3);
    alignas(16) T out[16];
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      out[j] = convert<T>(static_cast<float>(b[j]) * a.scale[c] + a.shift[c]);
      c = c == 2 ? 0 : c + 1;
    }
    // 16 outputs = 16 * sizeof(T) bytes: 1, 2 or 4 vector stores.
    constexpr int kStores = 16 * sizeof(T) / 16;
    uint4* d = reinterpret_cast<uint4*>(dst + k * 16);
#pragma unroll
    for (int j = 0; j < kStores; ++j) d[j] = reinterpret_cast<const uint4*>(out)[j];
  }
}

template <typename T>
__global__ void normalize_scalar(const uint8_t* __restrict__ src, T* __restrict__ dst, int64_t begin, int64_t end,
                                 Affine a) {
  for (int64_t i = begin + blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < end;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int c = static_cast<int>(i % 3);
    dst[i] = convert<T>(static_cast<float>(src[i]) * a.scale[c] + a.shift[c]);
  }
}

// One pixel per thread: three bytes in, three planes out (coalesced per plane).
template <typename T>
__global__ void normalize_planar(const uint8_t* __restrict__ src, T* __restrict__ dst, int64_t n, int64_t hw,
                                 Affine a) {
  const int64_t total = n * hw;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < total;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t img = p / hw, q = p % hw;
    const uint8_t* s = src + p * 3;
    T* d = dst + img * 3 * hw + q;
#pragma unroll
    for (int c = 0; c < 3; ++c) d[c * hw] = convert<T>(static_cast<float>(s[c]) * a.scale[c] + a.shift[c]);
  }
}

constexpr int kThreads = 256;

int blocks_for(int64_t work) {
  // Enough blocks to fill any current GPU several times over; the loops stride beyond that.
  const int64_t b = (work + kThreads - 1) / kThreads;
  return static_cast<int>(b < 65536 ? (b > 0 ? b : 1) : 65536);
}

Affine make_affine(const float scale[3], const float shift[3]) {
  Affine a{};
  for (int c = 0; c < 3; ++c) {
    a.scale[c] = scale[c];
    a.shift[c] = shift[c];
  }
  return a;
}

template <typename T>
cudaError_t launch_cl(const uint8_t* src, T* dst, int64_t elems, Affine a, cudaStream_t stream) {
  const bool aligned = reinterpret_cast<uintptr_t>(src) % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 16 == 0;
  const int64_t chunks = aligned ? elems / 16 : 0;
  if (chunks > 0) {
    normalize_vec16<T><<<blocks_for(chunks), kThreads, 0, stream>>>(reinterpret_cast<const uint4*>(src), dst, chunks, a);
  }
  if (chunks * 16 < elems) {
    normalize_scalar<T><<<blocks_for(elems - chunks * 16), kThreads, 0, stream>>>(src, dst, chunks * 16, elems, a);
  }
  return cudaGetLastError();
}

template <typename T>
cudaError_t launch_planar(const uint8_t* src, T* dst, int64_t n, int64_t hw, Affine a, cudaStream_t stream) {
  if (n * hw > 0) normalize_planar<T><<<blocks_for(n * hw), kThreads, 0, stream>>>(src, dst, n, hw, a);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_normalize_channels_last(const uint8_t* src, void* dst, int64_t pixels, NormalizeOutput type,
                                           const float scale[3], const float shift[3], cudaStream_t stream) {
  const Affine a = make_affine(scale, shift);
  switch (type) {
    case NormalizeOutput::kFloat32:
      return launch_cl(src, static_cast<float*>(dst), pixels * 3, a, stream);
    case NormalizeOutput::kFloat16:
      return launch_cl(src, static_cast<__half*>(dst), pixels * 3, a, stream);
    case NormalizeOutput::kBFloat16:
      return launch_cl(src, static_cast<__nv_bfloat16*>(dst), pixels * 3, a, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_normalize_planar(const uint8_t* src, void* dst, int64_t n, int64_t hw, NormalizeOutput type,
                                    const float scale[3], const float shift[3], cudaStream_t stream) {
  const Affine a = make_affine(scale, shift);
  switch (type) {
    case NormalizeOutput::kFloat32:
      return launch_planar(src, static_cast<float*>(dst), n, hw, a, stream);
    case NormalizeOutput::kFloat16:
      return launch_planar(src, static_cast<__half*>(dst), n, hw, a, stream);
    case NormalizeOutput::kBFloat16:
      return launch_planar(src, static_cast<__nv_bfloat16*>(dst), n, hw, a, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace fastimg::loader::internal
