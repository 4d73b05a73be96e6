#pragma once
// Random-resized-crop parameters, sampled exactly as torchvision's RandomResizedCrop.get_params:
// up to 10 draws of (area fraction, log-uniform aspect ratio), the first that fits wins; otherwise
// a centred crop whose aspect ratio is clamped into the allowed range.
#include "augment/transform.h"
#include "codec/image.h"
#include "util/rng.h"

namespace fastimg::augment {

struct RandomResizedCropParams {
  double scale_min = 0.08, scale_max = 1.0;
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;
  int attempts = 10;
};

// The crop of a width x height image; `fallback` (optional) reports whether no attempt fitted.
codec::Rect random_resized_crop(int width, int height, Rng& rng, const RandomResizedCropParams& params = {},
                                bool* fallback = nullptr);

// The transform: a random-resized crop of the region chosen so far, free to snap to the decoder's grid.
class RandomResizedCrop final : public Transform {
 public:
  explicit RandomResizedCrop(const RandomResizedCropParams& params = {}) : params_(params) {}
  void apply(SamplePlan& plan, Rng& rng) const override;
  std::string name() const override { return "random_resized_crop"; }

 private:
  RandomResizedCropParams params_;
};

}  // namespace fastimg::augment
