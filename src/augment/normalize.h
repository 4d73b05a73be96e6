#pragma once
// ImageNet normalisation constants on the 0-255 scale (torchvision's mean/std times 255), applied
// by the device stage to uint8 batches.
#include <array>

namespace fastimg::augment {

inline constexpr std::array<float, 3> kImageNetMean255 = {0.485f * 255, 0.456f * 255, 0.406f * 255};
inline constexpr std::array<float, 3> kImageNetStd255 = {0.229f * 255, 0.224f * 255, 0.225f * 255};

}  // namespace fastimg::augment
