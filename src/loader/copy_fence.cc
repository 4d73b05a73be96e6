#include "loader/copy_fence.h"

#include <c10/core/impl/VirtualGuardImpl.h>

namespace fastimg::loader {

void StreamEventFence::copies_queued(const torch::Device& device) {
  if (device.is_cpu()) return;
  const c10::Stream stream = c10::impl::VirtualGuardImpl(device.type()).getStream(device);
  if (!event_ || event_->device_type() != device.type()) event_.emplace(device.type());
  event_->record(stream);
}

void StreamEventFence::wait() {
  if (event_ && event_->was_marked_for_recording()) event_->synchronize();
}

}  // namespace fastimg::loader
