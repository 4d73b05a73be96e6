#pragma once
// Stand-in for Gloo's header (see ../README.md). ProcessGroupGloo.hpp defines an adapter class
// deriving from this interface; fastimg never instantiates it (libtorch_cpu does, against the real
// Gloo), so only the overridden members need declaring here.
#include <chrono>
#include <string>
#include <vector>

namespace gloo::rendezvous {
class Store {
 public:
  virtual ~Store() = default;
  virtual void set(const std::string& key, const std::vector<char>& data) = 0;
  virtual std::vector<char> get(const std::string& key) = 0;
  virtual void wait(const std::vector<std::string>& keys) = 0;
  virtual void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) = 0;
};
}  // namespace gloo::rendezvous
