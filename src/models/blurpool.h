#pragma once
// BlurPool as FFCV uses it: a fixed depthwise 3x3 binomial filter ([1,2,1]^T [1,2,1] / 16, stride 1,
// padding 1) applied in front of a strided conv to reduce aliasing. The filter is a buffer, never
// trained. Unlike FFCV's wrapper (conv1.conv.weight) the conv keeps torchvision's parameter name
// (conv1.weight) and the filter sits beside it as conv1.blur_filter.
#include <torch/torch.h>

namespace fastimg::models {

// FFCV's rule for which convs get a blur: strided and at least 16 input channels.
bool wants_blur(const torch::nn::Conv2dOptions& options);

// A Conv2d, optionally preceded by the blur. Same parameters and forward as Conv2d when blur=false.
class BlurConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  BlurConv2dImpl(torch::nn::Conv2dOptions options, bool blur);
  torch::Tensor forward(const torch::Tensor& x);
  bool has_blur() const { return blur_filter_.defined(); }

 private:
  torch::Tensor blur_filter_;
};
TORCH_MODULE(BlurConv2d);

}  // namespace fastimg::models
