#pragma once
// A batch slot goes back to the loader threads only once the device copies reading it are done.
// The consumer queues its host-to-device copies (non-blocking, from pinned memory) and calls
// copies_queued(); the loader calls wait() before it lets a worker overwrite the slot. Without
// this, gradient accumulation or BatchNorm recalibration (next() right after a copy is queued)
// could refill pinned memory while the DMA is still reading it.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>

namespace fastimg::loader {

class CopyFence {
 public:
  virtual ~CopyFence() = default;
  // The copies from this slot were queued on `device`'s current stream.
  virtual void copies_queued(const torch::Device& device) = 0;
  // Blocks until they have completed (returns at once when nothing is pending).
  virtual void wait() = 0;
};

// An event recorded on the device's current stream (device-generic c10::Event); CPU copies are
// synchronous, so a CPU device records nothing.
class StreamEventFence final : public CopyFence {
 public:
  void copies_queued(const torch::Device& device) override;
  void wait() override;

 private:
  std::optional<c10::Event> event_;
};

using CopyFenceFactory = std::function<std::shared_ptr<CopyFence>()>;

}  // namespace fastimg::loader
