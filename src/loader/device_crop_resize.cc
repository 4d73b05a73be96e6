#include "loader/device_crop_resize.h"

#include "util/error.h"

namespace fastimg::loader {

torch::Tensor resample_weights(int64_t in, int64_t out, bool area, torch::Device device) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const torch::Tensor i = torch::arange(out, f32).unsqueeze(1);  // output pixel
  const torch::Tensor j = torch::arange(in, f32).unsqueeze(0);   // source pixel
  if (area) {
    // Output pixel i covers source [i * scale, (i + 1) * scale): each source pixel weighs its overlap.
    const torch::Tensor lo = torch::maximum(i * scale, j), hi = torch::minimum((i + 1) * scale, j + 1);
    return (hi - lo).clamp_min_(0) / scale;
  }
  // Bilinear between the two source centres around (i + 0.5) * scale - 0.5, clamped at the edges.
  const torch::Tensor centre = ((i + 0.5) * scale - 0.5).clamp(0, static_cast<double>(in - 1));
  const torch::Tensor left = centre.floor(), frac = centre - left;
  const torch::Tensor right = (left + 1).clamp_max(static_cast<double>(in - 1));
  return (1 - frac) * j.eq(left).to(torch::kFloat) + frac * j.eq(right).to(torch::kFloat);
}

void crop_resize_into(const torch::Tensor& image, codec::Rect crop, bool flip, torch::Tensor dst) {
  if (image.dim() != 3 || image.size(2) != 3 || image.scalar_type() != torch::kUInt8)
    fail("device crop: expected a uint8 [H, W, 3] image, got {} dims of {}", image.dim(),
         std::string(c10::toString(image.scalar_type())));
  const int64_t h = image.size(0), w = image.size(1);
  if (crop.width == 0 && crop.height == 0) crop = {0, 0, static_cast<int>(w), static_cast<int>(h)};
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > w ||
      crop.y + crop.height > h)
    fail("device crop: {}x{}+{}+{} is outside the {}x{} image", crop.width, crop.height, crop.x, crop.y, w, h);
  const int64_t out_h = dst.size(0), out_w = dst.size(1);
  // [3, crop_h, crop_w] planes in float: the matmuls run per channel.
  torch::Tensor x = image.narrow(0, crop.y, crop.height).narrow(1, crop.x, crop.width).permute({2, 0, 1}).to(torch::kFloat);
  // As the CPU JPEG path at full resolution (JpegDecoder without DCT scaling): bilinear for shrinks
  // below 2x on both axes and for grows, area averaging for larger shrinks.
  const bool shrinks = out_h <= crop.height && out_w <= crop.width;
  const bool below_2x = crop.height < 2 * out_h && crop.width < 2 * out_w;
  const bool area = shrinks && !below_2x;
  if (out_h != crop.height) x = torch::matmul(resample_weights(crop.height, out_h, area, image.device()), x);
  if (out_w != crop.width) x = torch::matmul(x, resample_weights(crop.width, out_w, area, image.device()).t());
  if (flip) x = x.flip({2});
  // Rounded and clamped in float, so that the cast to uint8 in copy_ is exact.
  dst.copy_(x.permute({1, 2, 0}).round_().clamp_(0, 255));
}

}  // namespace fastimg::loader
