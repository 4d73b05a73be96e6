#pragma once
// Evaluation crop as FFCV's CenterCropRGBImageDecoder: a centred square of side
// int(ratio * min(width, height)), ratio 224/256 by default.
#include "codec/image.h"

namespace fastimg::augment {

inline constexpr double kDefaultCenterCropRatio = 224.0 / 256.0;

codec::Rect center_crop(int width, int height, double ratio = kDefaultCenterCropRatio);

}  // namespace fastimg::augment
