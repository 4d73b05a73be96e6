#include "augment/center_crop.h"

#include <algorithm>

namespace fastimg::augment {

codec::Rect center_crop(int width, int height, double ratio) {
  const int side = std::max(1, static_cast<int>(ratio * std::min(width, height)));
  return {(width - side) / 2, (height - side) / 2, side, side};
}

}  // namespace fastimg::augment
