#include "loader/batch_buffers.h"

#include <ATen/Context.h>

namespace fastimg::loader {

BatchBuffers::BatchBuffers(int num_slots, int batch_size, bool pin_memory)
    : batch_size_(batch_size), pinned_(pin_memory && at::globalContext().hasCUDA()), images_(num_slots),
      labels_(num_slots), image_ptrs_(num_slots), label_ptrs_(num_slots) {}

void BatchBuffers::ensure(int resolution) {
  resolution_ = resolution;
  if (resolution <= capacity_resolution_) return;
  capacity_resolution_ = resolution;
  ++allocations_;
  const int64_t bytes = int64_t{batch_size_} * resolution * resolution * 3;
  auto u8 = torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(pinned_);
  auto i64 = torch::TensorOptions().dtype(torch::kInt64).pinned_memory(pinned_);
  for (size_t s = 0; s < images_.size(); ++s) {
    images_[s] = torch::Tensor();  // free the old slot before allocating the larger one
    images_[s] = torch::empty({bytes}, u8);
    if (!labels_[s].defined()) labels_[s] = torch::empty({batch_size_}, i64);
    image_ptrs_[s] = images_[s].data_ptr<uint8_t>();
    label_ptrs_[s] = labels_[s].data_ptr<int64_t>();
  }
}

torch::Tensor BatchBuffers::image_view(int slot, int64_t n) const {
  const int64_t r = resolution_;
  return images_[slot].narrow(0, 0, n * r * r * 3).view({n, r, r, 3});
}

torch::Tensor BatchBuffers::label_view(int slot, int64_t n) const { return labels_[slot].narrow(0, 0, n); }

}  // namespace fastimg::loader
