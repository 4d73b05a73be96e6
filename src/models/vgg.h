#pragma once
// VGG-16 with and without BatchNorm, torchvision's layout and state_dict keys: `features` (convs,
// BN, ReLU, max pools as one Sequential), adaptive 7x7 average pool, `classifier` (4096-wide, dropout 0.5).
#include "models/classifier.h"

namespace fastimg::models {

Classifier make_vgg16(bool batch_norm, const ModelOptions& options);
double vgg16_gflops(int resolution, int64_t num_classes = 1000);

}  // namespace fastimg::models
