#pragma once
// Loader facade: batches of decoded, augmented images from a .beton file, an ImageFolder directory
// or WebDataset tar shards (see source.h for how the path picks one).
//
// A fixed pool of threads decodes samples straight into preallocated batch buffers; a bounded
// queue keeps `batches_ahead` batches ready. Given (seed, epoch) the batches are identical for any
// thread count. Images come out as uint8 NHWC; normalisation happens in the device stage.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/image.h"
#include "loader/copy_fence.h"
#include "loader/loader_options.h"
#include "loader/source.h"

namespace fastimg::loader {

// A JPEG sample the loader threads planned but did not decode (LoaderOptions::decode = kDevice):
// the device stage decodes it, crops, resizes to the batch resolution and flips into row `index`.
struct DeferredImage {
  int64_t index = 0;               // row of Batch::images (left unwritten by the threads)
  std::span<const uint8_t> jpeg;   // valid until the next next()
  codec::Rect crop;                // in full-resolution pixels, as the CPU decoder would take it
  bool flip = false;
  uint64_t sample = 0;             // for messages
};

struct Batch {
  torch::Tensor images;  // uint8 [N, H, W, 3]; a view of a loader buffer, valid until the next next()
  torch::Tensor labels;  // int64 [N]
  // Call fence->copies_queued(device) after queueing non-blocking device copies from images or
  // labels: the slot is not refilled until they complete (copy_fence.h).
  std::shared_ptr<CopyFence> fence;
  std::vector<DeferredImage> deferred;  // rows still to decode on the device (empty with decode = cpu)
};

class Loader {
 public:
  explicit Loader(LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts (or restarts) an epoch: the order is a function of (seed, epoch, rank, world_size).
  // first_batch > 0 resumes inside it: batches before it are skipped without being decoded.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // Output side for the next start_epoch() (progressive resizing); buffers are reused when it fits.
  void set_resolution(int resolution);
  // The next batch of the current epoch, or nullopt when the epoch is over.
  std::optional<Batch> next();

  int64_t batches_per_epoch() const;
  int64_t num_samples() const;       // in the whole file
  int64_t num_classes() const;       // max label + 1 over the file
  const LoaderOptions& options() const;

  // Introspection for tests and benchmarks.
  int num_threads() const;
  uint64_t scratch_reallocations() const;  // decoder scratch growths, summed over the workers
  uint64_t samples_decoded() const;        // samples the workers have produced so far
  int64_t buffer_allocations() const;      // batch slot (re)allocations: grows only with the resolution
  bool pinned() const;                     // batch slots are page-locked
  // Unreadable samples so far (distinct samples; the epoch went on without them) and one line per
  // problem, including those found when the source was opened (e.g. a tar member without a label).
  uint64_t skipped_samples() const;
  std::vector<std::string> problems() const;
  const Source& source() const;
  // Replaces the slots' copy fences (default: StreamEventFence); tests inject their own.
  void set_copy_fence_factory(const CopyFenceFactory& factory);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastimg::loader
