#include "augment/random_resized_crop.h"

#include <algorithm>
#include <cmath>

#include "augment/internal/python_round.h"

namespace fastimg::augment {
using internal::py_round;

codec::Rect random_resized_crop(int width, int height, Rng& rng, const RandomResizedCropParams& params,
                                bool* fallback) {
  const double area = static_cast<double>(width) * height;
  const double log_lo = std::log(params.ratio_min), log_hi = std::log(params.ratio_max);
  for (int attempt = 0; attempt < params.attempts; ++attempt) {
    const double target_area = area * rng.uniform(params.scale_min, params.scale_max);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int w = py_round(std::sqrt(target_area * aspect));
    const int h = py_round(std::sqrt(target_area / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int y = static_cast<int>(rng.uniform_int(0, height - h));
      const int x = static_cast<int>(rng.uniform_int(0, width - w));
      if (fallback) *fallback = false;
      return {x, y, w, h};
    }
  }
  if (fallback) *fallback = true;
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < params.ratio_min) {
    h = py_round(w / params.ratio_min);
  } else if (in_ratio > params.ratio_max) {
    w = py_round(h * params.ratio_max);
  }
  w = std::clamp(w, 1, width);
  h = std::clamp(h, 1, height);
  return {(width - w) / 2, (height - h) / 2, w, h};
}

void RandomResizedCrop::apply(SamplePlan& plan, Rng& rng) const {
  const codec::Rect c = random_resized_crop(plan.crop.width, plan.crop.height, rng, params_);
  plan.crop = {plan.crop.x + c.x, plan.crop.y + c.y, c.width, c.height};
  plan.crop_may_snap = true;
}

}  // namespace fastimg::augment
