#include "codec/separable_resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace fastimg::codec {

namespace {

// The filter of one axis: output o is the sum over t < taps of weight[o * taps + t] times input
// first[o] + t. Every output has the same tap count (unused taps weigh 0 and point in range), so
// the inner loops have a fixed trip count.
struct AxisTaps {
  int taps = 1;
  std::vector<int> first;
  std::vector<float> weight;
};

// Box filter over [o * scale, (o + 1) * scale): each input weighs its overlap / scale.
AxisTaps area_taps(int in_n, int out_n) {
  const double scale = static_cast<double>(in_n) / out_n;
  AxisTaps a;
  // [lo, hi) touches at most ceil(scale) + 1 inputs; taps never reach past the axis.
  a.taps = in_n == out_n ? 1 : std::min(in_n, static_cast<int>(std::ceil(scale)) + 1);
  a.first.resize(out_n);
  a.weight.assign(static_cast<size_t>(out_n) * a.taps, 0.f);
  for (int o = 0; o < out_n; ++o) {
    const double lo = o * scale, hi = std::min<double>(in_n, (o + 1) * scale);
    a.first[o] = std::clamp(static_cast<int>(std::floor(lo)), 0, in_n - a.taps);
    for (int t = 0; t < a.taps; ++t) {
      const int i = a.first[o] + t;
      const double overlap = std::min<double>(hi, i + 1) - std::max<double>(lo, i);
      if (overlap > 0) a.weight[static_cast<size_t>(o) * a.taps + t] = static_cast<float>(overlap / scale);
    }
  }
  return a;
}

// Bilinear at pixel centres, (o + 0.5) * scale - 0.5, clamped to the edge pixels.
AxisTaps linear_taps(int in_n, int out_n) {
  const double scale = static_cast<double>(in_n) / out_n;
  AxisTaps a;
  a.taps = in_n == 1 ? 1 : 2;
  a.first.resize(out_n);
  a.weight.assign(static_cast<size_t>(out_n) * a.taps, 0.f);
  for (int o = 0; o < out_n; ++o) {
    const double pos = (o + 0.5) * scale - 0.5;
    int i0 = static_cast<int>(std::floor(pos));
    double f = pos - i0;
    if (i0 < 0) i0 = 0, f = 0;
    if (i0 >= in_n - 1) i0 = in_n - 1, f = 0;
    // The pair stays in range: the last pixel is the second tap of the pair ending there.
    const int first = std::max(0, std::min(i0, in_n - a.taps));
    a.first[o] = first;
    const size_t w = static_cast<size_t>(o) * a.taps;
    a.weight[w + (i0 - first)] = static_cast<float>(1 - f);
    if (f > 0) a.weight[w + 1] = static_cast<float>(f);
  }
  return a;
}

AxisTaps axis_taps(int in_n, int out_n) { return in_n >= out_n ? area_taps(in_n, out_n) : linear_taps(in_n, out_n); }

// acc[c] = sum over the vertical taps of weight * row[c], for the crop's n = 3 * width bytes.
void vertical_pass(const ImageView& src, Rect crop, const AxisTaps& v, int o, float* acc) {
  const size_t n = static_cast<size_t>(crop.width) * 3;
  const uint8_t* base = src.data + static_cast<size_t>(crop.x) * 3;
  const float* w = v.weight.data() + static_cast<size_t>(o) * v.taps;
  const int first = crop.y + v.first[o];
  {
    const uint8_t* row = base + static_cast<size_t>(first) * src.stride;
    const float w0 = w[0];
    for (size_t c = 0; c < n; ++c) acc[c] = w0 * row[c];
  }
  for (int t = 1; t < v.taps; ++t) {
    const float wt = w[t];
    if (wt == 0.f) continue;
    const uint8_t* row = base + static_cast<size_t>(first + t) * src.stride;
    for (size_t c = 0; c < n; ++c) acc[c] += wt * row[c];
  }
}

// Four floats, one SIMD register on any target GCC and Clang build for (SSE2 on x86-64, NEON on
// ARM): an RGB pixel of the float row plus the next pixel's red, which the taps ignore.
typedef float Float4 __attribute__((vector_size(16)));

inline Float4 load4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

typedef int32_t Int4 __attribute__((vector_size(16)));

// Rounds the three channels of a sum to bytes. The weights are positive and sum to 1, so a sum is
// in [0, 255] up to rounding: only the top needs a clamp.
inline void store_rgb(Float4 sum, uint8_t* d) {
  sum += 0.5f;
  sum = sum > 255.f ? Float4{} + 255.f : sum;
  const Int4 v = __builtin_convertvector(sum, Int4);
  d[0] = static_cast<uint8_t>(v[0]);
  d[1] = static_cast<uint8_t>(v[1]);
  d[2] = static_cast<uint8_t>(v[2]);
}

// out[j] = sum over taps of weight * pixel, one vector multiply-add per tap for all three channels.
template <int Taps>
void horizontal_pass_fixed(const float* acc, const AxisTaps& h, int out_w, bool flip, uint8_t* out) {
  const int taps = Taps > 0 ? Taps : h.taps;
  for (int j = 0; j < out_w; ++j) {
    const float* a = acc + static_cast<size_t>(h.first[j]) * 3;
    const float* w = h.weight.data() + static_cast<size_t>(j) * taps;
    Float4 sum = load4(a) * w[0];
    for (int t = 1; t < taps; ++t) sum += load4(a + 3 * t) * w[t];
    store_rgb(sum, out + static_cast<size_t>(flip ? out_w - 1 - j : j) * 3);
  }
}

// The common tap counts get a loop the compiler unrolls; shrinks beyond 4x take the general one.
void horizontal_pass(const float* acc, const AxisTaps& h, int out_w, bool flip, uint8_t* out) {
  switch (h.taps) {
    case 2: return horizontal_pass_fixed<2>(acc, h, out_w, flip, out);
    case 3: return horizontal_pass_fixed<3>(acc, h, out_w, flip, out);
    case 4: return horizontal_pass_fixed<4>(acc, h, out_w, flip, out);
    case 5: return horizontal_pass_fixed<5>(acc, h, out_w, flip, out);
    default: return horizontal_pass_fixed<0>(acc, h, out_w, flip, out);
  }
}

// The two passes for every output row, compiled for AVX2 too (picked at load time): the
// vertical pass's byte-to-float widening and multiply-adds take 8 lanes there instead of 4.
[[gnu::target_clones("avx2", "default"), gnu::flatten]] void resize_rows(const ImageView& src, Rect crop,
                                                                        const AxisTaps& h, const AxisTaps& v,
                                                                        int out_w, int out_h, bool flip, float* acc,
                                                                        uint8_t* dst, size_t dst_stride) {
  for (int o = 0; o < out_h; ++o) {
    vertical_pass(src, crop, v, o, acc);
    horizontal_pass(acc, h, out_w, flip, dst + static_cast<size_t>(o) * dst_stride);
  }
}

}  // namespace

void separable_resize(const ImageView& src, Rect crop, int out_w, int out_h, bool flip, uint8_t* dst,
                      size_t dst_stride) {
  const AxisTaps h = axis_taps(crop.width, out_w), v = axis_taps(crop.height, out_h);
  // One float row per thread, grown once to the widest crop seen; one float of padding for the
  // last pixel's four-float load.
  thread_local std::vector<float> acc;
  if (acc.size() < static_cast<size_t>(crop.width) * 3 + 1) acc.resize(static_cast<size_t>(crop.width) * 3 + 1);
  resize_rows(src, crop, h, v, out_w, out_h, flip, acc.data(), dst, dst_stride);
}

}  // namespace fastimg::codec
