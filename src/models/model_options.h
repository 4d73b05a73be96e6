#pragma once
// Options every model builder takes (no LibTorch, so that configs can hold them).
#include <cstdint>

namespace fastimg::models {

struct ModelOptions {
  int64_t num_classes = 1000;       // the trainer's config sets 0: derived from the labels
  bool blurpool = false;            // ResNets only: blur in front of strided convs (FFCV)
  bool zero_init_residual = false;  // ResNets only: last BN gamma of each block starts at 0
};

}  // namespace fastimg::models
