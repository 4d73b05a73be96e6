#pragma once
// The one interface the trainer codes against: an image classifier is a torch::nn::Module whose
// forward maps a float NCHW batch (contiguous or channels-last) to logits.
#include <torch/torch.h>

#include <memory>

#include "models/model_options.h"

namespace fastimg::models {

struct ClassifierImpl : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};
using Classifier = std::shared_ptr<ClassifierImpl>;


}  // namespace fastimg::models
