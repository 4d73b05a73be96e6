#include "augment/center_crop.h"

#include <algorithm>
#include <cmath>

#include "augment/internal/python_round.h"

namespace fastimg::augment {
using internal::py_round;

codec::Rect center_crop(int width, int height, double ratio) {
  const int side = std::max(1, static_cast<int>(ratio * std::min(width, height)));
  return {(width - side) / 2, (height - side) / 2, side, side};
}

codec::Rect resize_then_center_crop(int width, int height, int output, double ratio) {
  // torchvision Resize(size): the shorter side becomes size, the longer int(size * long / short).
  const int size = std::max(1, static_cast<int>(output / ratio));
  const bool wide = width >= height;
  const int shorter = wide ? height : width, longer = wide ? width : height;
  const int resized_long = static_cast<int>(static_cast<double>(size) * longer / shorter);
  const int rw = wide ? resized_long : size, rh = wide ? size : resized_long;
  // CenterCrop: offsets int(round((resized - output) / 2)), mapped back to source pixels.
  const int left = py_round((rw - output) / 2.0), top = py_round((rh - output) / 2.0);
  const double sx = static_cast<double>(width) / rw, sy = static_cast<double>(height) / rh;
  const int x = std::clamp(py_round(left * sx), 0, width - 1), y = std::clamp(py_round(top * sy), 0, height - 1);
  const int w = std::clamp(py_round(output * sx), 1, width - x), h = std::clamp(py_round(output * sy), 1, height - y);
  return {x, y, w, h};
}

void CenterCrop::apply(SamplePlan& plan, Rng&) const {
  const codec::Rect c = mode_ == CenterCropMode::kCropThenResize
                            ? center_crop(plan.crop.width, plan.crop.height, ratio_)
                            : resize_then_center_crop(plan.crop.width, plan.crop.height, plan.output_width, ratio_);
  plan.crop = {plan.crop.x + c.x, plan.crop.y + c.y, c.width, c.height};
}

}  // namespace fastimg::augment
