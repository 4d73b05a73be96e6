#pragma once
// Stand-in for Gloo's header (see ../README.md): ProcessGroupGloo.hpp holds Contexts by shared_ptr;
// its inline setTimeout (never called by fastimg) names this member.
#include <chrono>

namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
