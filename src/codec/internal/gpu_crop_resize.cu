// One thread per output pixel, blockIdx.y picks the image. Area weights are computed on the fly
// from the overlap of [a, b) with each source pixel, so any shrink factor works without tables.
#include "codec/internal/gpu_crop_resize.h"

namespace fastimg::codec::internal {
namespace {

// The source pixels that contribute to output coordinate `o` along one axis, with their weights.
struct Axis {
  int first, last;    // inclusive source index range
  float a, b;         // area window [a, b) (shrink) or the sample position in a (grow)
  bool area;
};

__device__ __forceinline__ Axis axis_for(int o, int crop0, int crop_len, int out_len, int limit) {
  const float scale = static_cast<float>(crop_len) / out_len;
  Axis ax{};
  if (scale > 1.0f) {
    ax.area = true;
    ax.a = crop0 + o * scale;
    ax.b = ax.a + scale;
    ax.first = static_cast<int>(floorf(ax.a));
    ax.last = min(static_cast<int>(ceilf(ax.b)) - 1, limit - 1);
  } else {
    ax.area = false;
    // Pixel centres: output centre o + 0.5 maps to crop0 + (o + 0.5) * scale in edge coordinates.
    ax.a = fminf(fmaxf(crop0 + (o + 0.5f) * scale - 0.5f, 0.0f), static_cast<float>(limit - 1));
    ax.first = static_cast<int>(floorf(ax.a));
    ax.last = min(ax.first + 1, limit - 1);
  }
  return ax;
}

__device__ __forceinline__ float weight(const Axis& ax, int i) {
  if (ax.area) return fminf(ax.b, i + 1.0f) - fmaxf(ax.a, static_cast<float>(i));
  const float f = ax.a - ax.first;
  return i == ax.first ? 1.0f - f : f;
}

__global__ void crop_resize_kernel(const GpuCropJob* __restrict__ jobs, int out_w, int out_h, uint8_t* __restrict__ dst) {
  const GpuCropJob j = jobs[blockIdx.y];
  uint8_t* out = dst + static_cast<int64_t>(blockIdx.y) * out_h * out_w * 3;
  for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < out_w * out_h; p += gridDim.x * blockDim.x) {
    const int oy = p / out_w, ox = p % out_w;
    const int sx = j.flip ? out_w - 1 - ox : ox;  // the mirrored output reads the unmirrored column
    const Axis ay = axis_for(oy, j.crop_y, j.crop_h, out_h, j.height);
    const Axis axx = axis_for(sx, j.crop_x, j.crop_w, out_w, j.width);
    float acc[3] = {0.0f, 0.0f, 0.0f};
    float total = 0.0f;
    for (int y = ay.first; y <= ay.last; ++y) {
      const float wy = weight(ay, y);
      if (wy <= 0.0f) continue;
      const uint8_t* row = j.src + static_cast<int64_t>(y) * j.pitch;
      for (int x = axx.first; x <= axx.last; ++x) {
        const float w = wy * weight(axx, x);
        if (w <= 0.0f) continue;
        const uint8_t* px = row + x * 3;
        acc[0] += w * px[0];
        acc[1] += w * px[1];
        acc[2] += w * px[2];
        total += w;
      }
    }
    const float inv = total > 0.0f ? 1.0f / total : 0.0f;
    uint8_t* o = out + static_cast<int64_t>(p) * 3;
#pragma unroll
    for (int c = 0; c < 3; ++c) o[c] = static_cast<uint8_t>(fminf(fmaxf(rintf(acc[c] * inv), 0.0f), 255.0f));
  }
}

}  // namespace

cudaError_t launch_crop_resize(const GpuCropJob* jobs, int count, int out_w, int out_h, uint8_t* dst,
                               cudaStream_t stream) {
  if (count <= 0 || out_w <= 0 || out_h <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const int pixels = out_w * out_h;
  const dim3 grid(static_cast<unsigned>(min((pixels + kThreads - 1) / kThreads, 1024)), static_cast<unsigned>(count));
  crop_resize_kernel<<<grid, kThreads, 0, stream>>>(jobs, out_w, out_h, dst);
  return cudaGetLastError();
}

}  // namespace fastimg::codec::internal
