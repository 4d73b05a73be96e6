#include "models/blurpool.h"

namespace fastimg::models {

bool wants_blur(const torch::nn::Conv2dOptions& options) {
  auto stride = *options.stride();
  return (stride[0] > 1 || stride[1] > 1) && options.in_channels() >= 16;
}

BlurConv2dImpl::BlurConv2dImpl(torch::nn::Conv2dOptions options, bool blur)
    : torch::nn::Conv2dImpl(options) {
  if (!blur) return;
  auto row = torch::tensor({1.0f, 2.0f, 1.0f});
  auto filter = (row.unsqueeze(1) * row.unsqueeze(0)) / 16.0;
  blur_filter_ = register_buffer(
      "blur_filter", filter.view({1, 1, 3, 3}).repeat({options.in_channels(), 1, 1, 1}).contiguous());
}

torch::Tensor BlurConv2dImpl::forward(const torch::Tensor& x) {
  if (!blur_filter_.defined()) return Conv2dImpl::forward(x);
  auto blurred = torch::conv2d(x, blur_filter_, /*bias=*/{}, /*stride=*/1, /*padding=*/1,
                               /*dilation=*/1, /*groups=*/options.in_channels());
  return Conv2dImpl::forward(blurred);
}

}  // namespace fastimg::models
