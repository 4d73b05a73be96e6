#pragma once
// Python's round(): half to even, which is what nearbyint does in the default rounding mode. The
// crops follow torchvision's Python arithmetic, so both crop files round this way.
#include <cmath>

namespace fastimg::augment::internal {

inline int py_round(double v) { return static_cast<int>(std::nearbyint(v)); }

}  // namespace fastimg::augment::internal
