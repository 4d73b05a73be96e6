#pragma once
// ResNets with torchvision's architecture and state_dict keys (v1.5: the stride of a bottleneck
// sits on its 3x3 conv). resnet_mini is fastimg's own: ResNet-18's topology with one BasicBlock
// per stage and base width 16 (~0.7 M parameters), for demos and tests.
#include <array>

#include "models/classifier.h"

namespace fastimg::models {

struct ResNetConfig {
  bool bottleneck = false;              // Bottleneck (expansion 4) or BasicBlock (expansion 1)
  std::array<int64_t, 4> blocks{2, 2, 2, 2};  // blocks per stage
  int64_t base_width = 64;              // width of the stem and of stage 1
};

ResNetConfig resnet18_config();
ResNetConfig resnet50_config();
ResNetConfig resnet_mini_config();

Classifier make_resnet(const ResNetConfig& config, const ModelOptions& options);

// Conv + linear multiply-accumulates of one image, in units of 1e9 (see registry.h).
double resnet_gflops(const ResNetConfig& config, int resolution, int64_t num_classes = 1000);

}  // namespace fastimg::models
