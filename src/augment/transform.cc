#include "augment/transform.h"

#include "util/error.h"

namespace fastimg::augment {

SamplePlan plan_sample(const Transforms& transforms, int width, int height, int output_width, int output_height,
                       Rng& rng) {
  SamplePlan plan;
  plan.source_width = width;
  plan.source_height = height;
  plan.crop = {0, 0, width, height};
  plan.output_width = output_width;
  plan.output_height = output_height;
  for (const auto& t : transforms) {
    t->apply(plan, rng);
    const codec::Rect& c = plan.crop;
    if (c.width < 1 || c.height < 1 || c.x < 0 || c.y < 0 || c.x + c.width > width || c.y + c.height > height)
      fail("transform {} planned crop {}x{}+{}+{} outside the {}x{} image", t->name(), c.width, c.height, c.x, c.y,
           width, height);
  }
  return plan;
}

}  // namespace fastimg::augment
