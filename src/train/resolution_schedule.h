#pragma once
// Progressive resizing (FFCV): min_res up to start_ramp, max_res from end_ramp, linear in between,
// rounded to the nearest multiple of `multiple`.
#include <cmath>
#include <cstdint>

namespace fastimg::train {

inline int64_t resolution_at_epoch(int64_t epoch, int64_t min_res, int64_t max_res, int64_t start_ramp,
                                   int64_t end_ramp, int64_t multiple = 32) {
  if (epoch <= start_ramp) return min_res;
  if (epoch >= end_ramp) return max_res;
  double t = static_cast<double>(epoch - start_ramp) / static_cast<double>(end_ramp - start_ramp);
  double res = min_res + t * (max_res - min_res);
  return static_cast<int64_t>(std::nearbyint(res / multiple)) * multiple;
}

}  // namespace fastimg::train
