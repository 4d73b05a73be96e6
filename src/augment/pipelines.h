#pragma once
// The two standard pipelines and the settings users give them (the config's [augment] section and
// validation.crop_ratio / validation.resize). Defaults are torchvision's training augmentation and
// FFCV's evaluation crop.
#include "augment/center_crop.h"
#include "augment/random_resized_crop.h"
#include "augment/transform.h"

namespace fastimg::augment {

struct TrainAugmentation {
  RandomResizedCropParams crop;
  double flip_probability = 0.5;
};

struct ValAugmentation {
  double crop_ratio = kDefaultCenterCropRatio;
  CenterCropMode mode = CenterCropMode::kCropThenResize;
};

// Random-resized crop, then horizontal flip (the draw order of torchvision's transforms).
Transforms train_transforms(const TrainAugmentation& settings = {});
// One centre crop.
Transforms val_transforms(const ValAugmentation& settings = {});

}  // namespace fastimg::augment
