#pragma once
// A fixed set of preallocated batch slots: uint8 NHWC images and int64 labels, page-locked when
// asked and CUDA is present. Slots are sized for the largest resolution seen so far and viewed
// smaller, so progressive resizing reallocates only when the resolution grows past it.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace fastimg::loader {

class BatchBuffers {
 public:
  BatchBuffers(int num_slots, int batch_size, bool pin_memory);

  // Makes every slot hold batch_size images of resolution x resolution; reallocates only if larger.
  void ensure(int resolution);
  int resolution() const { return resolution_; }
  int num_slots() const { return static_cast<int>(images_.size()); }
  bool pinned() const { return pinned_; }
  // Times slot memory was (re)allocated: 1 after the first ensure(), then only when growing.
  int64_t allocations() const { return allocations_; }

  uint8_t* images(int slot) { return image_ptrs_[slot]; }
  int64_t* labels(int slot) { return label_ptrs_[slot]; }
  // Zero-copy views of the first n images/labels of a slot at the current resolution.
  torch::Tensor image_view(int slot, int64_t n) const;
  torch::Tensor label_view(int slot, int64_t n) const;

 private:
  int batch_size_;
  bool pinned_;
  int resolution_ = 0, capacity_resolution_ = 0;
  int64_t allocations_ = 0;
  std::vector<torch::Tensor> images_, labels_;
  std::vector<uint8_t*> image_ptrs_;
  std::vector<int64_t*> label_ptrs_;
};

}  // namespace fastimg::loader
