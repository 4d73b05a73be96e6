#pragma once
// Models by name. Names and state_dict keys follow torchvision, so weights move both ways.
#include <string>
#include <vector>

#include "models/classifier.h"

namespace fastimg::models {

// "resnet18", "resnet50", "resnet_mini", "vgg16", "vgg16_bn", "vit_b_16".
// An unknown name throws fastimg::Error listing the known ones.
Classifier make_model(const std::string& name, const ModelOptions& options);
std::vector<std::string> model_names();

int64_t count_parameters(torch::nn::Module& m);

// Forward cost of one image at resolution x resolution, in GFLOPs counted the way torchvision
// reports them: multiply-accumulates of every conv and linear layer (plus, for ViT, the two
// attention matmuls), computed analytically from the architecture. Norms, activations and
// pooling are not counted. Options do not matter except that BlurPool is not included.
double forward_gflops(const std::string& name, int resolution);

// Converts every 4-d parameter and buffer to channels-last in place (the conv nets run in either).
void to_channels_last(torch::nn::Module& m);

}  // namespace fastimg::models
