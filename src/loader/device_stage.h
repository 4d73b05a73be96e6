#pragma once
// Device stage: a uint8 NHWC batch to model input. One non-blocking copy of the uint8 bytes (4x
// less than float), then convert + normalise with ImageNet mean/std in one fused elementwise op
// on the device, producing NCHW or channels-last memory format in the requested dtype.
#include <torch/torch.h>

namespace fastimg::loader {

torch::Tensor to_model_input(const torch::Tensor& images_u8_nhwc, torch::Device device, bool channels_last,
                             torch::ScalarType dtype);

}  // namespace fastimg::loader
