#pragma once
// Evaluation crops. The two reference validations differ in the order of operations:
//   kCropThenResize  FFCV's CenterCropRGBImageDecoder: a centred square of side
//                    int(ratio * min(width, height)), resized to the output (ratio 224/256);
//   kResizeThenCrop  torchvision's Resize(int(output / ratio)) then CenterCrop(output), as the
//                    reproduction project validates (ratio 1): the source window that the resized
//                    image's centre crop covers, rounded to whole source pixels.
#include "augment/transform.h"
#include "codec/image.h"

namespace fastimg::augment {

inline constexpr double kDefaultCenterCropRatio = 224.0 / 256.0;

enum class CenterCropMode { kCropThenResize, kResizeThenCrop };

codec::Rect center_crop(int width, int height, double ratio = kDefaultCenterCropRatio);
// The source window of torchvision's Resize(int(output / ratio)) + CenterCrop(output x output).
codec::Rect resize_then_center_crop(int width, int height, int output, double ratio);

class CenterCrop final : public Transform {
 public:
  explicit CenterCrop(double ratio = kDefaultCenterCropRatio, CenterCropMode mode = CenterCropMode::kCropThenResize)
      : ratio_(ratio), mode_(mode) {}
  void apply(SamplePlan& plan, Rng& rng) const override;
  std::string name() const override { return "center_crop"; }

 private:
  double ratio_;
  CenterCropMode mode_;
};

}  // namespace fastimg::augment
