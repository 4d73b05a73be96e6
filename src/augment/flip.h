#pragma once
// Random horizontal flip decision (probability 0.5 by default), drawn after the crop from the
// sample's own Rng so that it does not depend on which thread decodes the sample.
#include "util/rng.h"

namespace fastimg::augment {

inline bool random_flip(Rng& rng, double probability = 0.5) { return rng.uniform() < probability; }

}  // namespace fastimg::augment
