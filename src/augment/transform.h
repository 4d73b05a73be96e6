#pragma once
// Augmentation as a list of transforms, each refining the per-sample plan (crop, flip) in order,
// like FFCV's pipeline operations or DALI's operators. A new augmentation is a new Transform; the
// loader applies whatever list its options hold. Randomness comes only from the sample's own Rng
// (seeded by seed, epoch and sample), so a plan does not depend on which thread computes it.
#include <memory>
#include <string>
#include <vector>

#include "augment/sample_plan.h"
#include "util/rng.h"

namespace fastimg::augment {

class Transform {
 public:
  virtual ~Transform() = default;
  // Refines `plan`; a crop transform crops within plan.crop (the region chosen so far).
  virtual void apply(SamplePlan& plan, Rng& rng) const = 0;
  virtual std::string name() const = 0;
};

using Transforms = std::vector<std::shared_ptr<const Transform>>;

// The plan for a width x height image decoded to output_width x output_height: the whole image,
// unflipped, then each transform in order.
SamplePlan plan_sample(const Transforms& transforms, int width, int height, int output_width, int output_height,
                       Rng& rng);

}  // namespace fastimg::augment
