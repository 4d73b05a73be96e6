#pragma once
// Progressive resizing (FFCV): min_res up to start_ramp, max_res from end_ramp, linear in between,
// rounded to the nearest multiple of `multiple`. A constant resolution (min_res == max_res) is not a
// ramp: it is never rounded (FFCV's rounding would turn 176 into 192 halfway along the ramp).
#include <cmath>
#include <cstdint>

namespace fastimg::train {

inline int64_t resolution_at_epoch(int64_t epoch, int64_t min_res, int64_t max_res, int64_t start_ramp,
                                   int64_t end_ramp, int64_t multiple = 32) {
  if (epoch <= start_ramp || min_res == max_res) return min_res;
  if (epoch >= end_ramp) return max_res;
  double t = static_cast<double>(epoch - start_ramp) / static_cast<double>(end_ramp - start_ramp);
  double res = min_res + t * (max_res - min_res);
  return static_cast<int64_t>(std::nearbyint(res / multiple)) * multiple;
}

// The config's train.min_res, max_res, start_ramp, end_ramp and res_multiple.
struct ResolutionSchedule {
  int64_t min_res = 160, max_res = 192;
  int64_t start_ramp = 11, end_ramp = 13;
  int64_t multiple = 32;
  int64_t at_epoch(int64_t epoch) const {
    return resolution_at_epoch(epoch, min_res, max_res, start_ramp, end_ramp, multiple);
  }
};

}  // namespace fastimg::train
