#pragma once
// Random horizontal flip, drawn after the crop from the sample's own Rng so that it does not
// depend on which thread decodes the sample.
#include "augment/transform.h"
#include "util/rng.h"

namespace fastimg::augment {

inline bool random_flip(Rng& rng, double probability = 0.5) { return rng.uniform() < probability; }

class RandomHorizontalFlip final : public Transform {
 public:
  explicit RandomHorizontalFlip(double probability = 0.5) : probability_(probability) {}
  void apply(SamplePlan& plan, Rng& rng) const override { plan.flip ^= random_flip(rng, probability_); }
  std::string name() const override { return "random_horizontal_flip"; }

 private:
  double probability_;
};

}  // namespace fastimg::augment
