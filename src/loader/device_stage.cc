#include "loader/device_stage.h"

#include "augment/normalize.h"
#include "util/error.h"

namespace fastimg::loader {

torch::Tensor to_model_input(const torch::Tensor& images, torch::Device device, bool channels_last,
                             torch::ScalarType dtype) {
  if (images.dim() != 4 || images.size(3) != 3 || images.scalar_type() != torch::kUInt8) {
    fail("device stage: expected a uint8 [N, H, W, 3] batch, got {} of {} dims", std::string(c10::toString(images.scalar_type())),
         images.dim());
  }
  const auto& m = augment::kImageNetMean255;
  const auto& s = augment::kImageNetStd255;
  // (x - mean) / std as x * scale + shift: one addcmul over the uint8 input.
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  auto scale = torch::tensor({1.0f / s[0], 1.0f / s[1], 1.0f / s[2]}, f32).view({1, 3, 1, 1}).to(device);
  auto shift = torch::tensor({-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]}, f32).view({1, 3, 1, 1}).to(device);
  // NHWC bytes seen as NCHW: this is already the channels-last layout, no data moves.
  auto x = images.to(device, /*non_blocking=*/true).permute({0, 3, 1, 2});
  auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  auto out = torch::empty(x.sizes(), torch::TensorOptions().dtype(dtype).device(device), format);
  // The TensorIterator kernel casts uint8 -> float per element and writes dtype in the output layout.
  torch::addcmul_out(out, shift.to(dtype), x, scale.to(dtype));
  return out;
}

}  // namespace fastimg::loader
