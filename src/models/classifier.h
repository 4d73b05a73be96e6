#pragma once
// The one interface the trainer codes against: an image classifier is a torch::nn::Module whose
// forward maps a float NCHW batch (contiguous or channels-last) to logits.
#include <torch/torch.h>

#include <memory>

namespace fastimg::models {

struct ClassifierImpl : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};
using Classifier = std::shared_ptr<ClassifierImpl>;

struct ModelOptions {
  int64_t num_classes = 1000;
  bool blurpool = false;            // ResNets only: blur in front of strided convs (FFCV)
  bool zero_init_residual = false;  // ResNets only: last BN gamma of each block starts at 0
};

}  // namespace fastimg::models
