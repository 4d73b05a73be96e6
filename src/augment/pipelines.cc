#include "augment/pipelines.h"

#include "augment/flip.h"

namespace fastimg::augment {

Transforms train_transforms(const TrainAugmentation& settings) {
  return {std::make_shared<RandomResizedCrop>(settings.crop),
          std::make_shared<RandomHorizontalFlip>(settings.flip_probability)};
}

Transforms val_transforms(const ValAugmentation& settings) {
  return {std::make_shared<CenterCrop>(settings.crop_ratio, settings.mode)};
}

}  // namespace fastimg::augment
