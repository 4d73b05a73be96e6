#include "train/host_read.h"

#include <atomic>

namespace fastimg::train {
namespace {
std::atomic<int64_t> reads{0};
}

torch::Tensor read_to_host(const torch::Tensor& t) {
  reads.fetch_add(1, std::memory_order_relaxed);
  return t.to(torch::kCPU);
}

int64_t host_reads() { return reads.load(std::memory_order_relaxed); }

}  // namespace fastimg::train
