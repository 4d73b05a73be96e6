#pragma once
// What a Loader reads and how (no LibTorch here, so that configs can hold it).
#include <cstdint>
#include <string>
#include <vector>

#include "augment/pipelines.h"
#include "augment/transform.h"
#include "loader/order_kind.h"

namespace fastimg::loader {

// Where JPEG samples are decoded. kDevice: the loader threads only read each JPEG and plan its
// crop and flip (the same plan as kCpu, from the same Rng); the batch carries the bytes and the
// plan (Batch::deferred) and the device stage decodes them on the GPU. Raw, PNG and CMYK samples
// are always decoded by the threads. kAuto is resolved by the trainer before a Loader is built.
enum class DecodeBackend { kCpu, kDevice, kAuto };

inline constexpr std::pair<const char*, DecodeBackend> kDecodeBackendNames[] = {
    {"cpu", DecodeBackend::kCpu}, {"gpu", DecodeBackend::kDevice}, {"auto", DecodeBackend::kAuto}};

struct LoaderOptions {
  std::string path;         // .beton file, ImageFolder directory, or .tar shard(s): file, glob, {a..b}
  int batch_size = 256;
  int threads = 0;          // 0 = all cores
  OrderKind order = OrderKind::kRandom;
  // The per-sample plan (crop, flip); default: torchvision's random-resized crop and flip.
  augment::Transforms transforms = augment::train_transforms();
  int resolution = 224;     // output side (square)
  uint64_t seed = 0;
  bool drop_last = true;
  int rank = 0;             // shard of a distributed run; every rank gets the same batch count
  int world_size = 1;
  int batches_ahead = 3;
  bool pin_memory = false;  // page-locked batch buffers (GPU runs)
  std::string image_field = "image";
  std::string label_field = "label";
  bool strict = false;      // an unreadable sample is an error (default: reported and skipped)
  std::string list_cache_dir;  // ImageFolder paths: where the file list is cached ("" = not cached)
  DecodeBackend decode = DecodeBackend::kCpu;
  // A subset of the file's samples (FFCV's `indices`); the orders, sharding and batch count apply
  // to the subset as if it were the whole file. Empty = every sample.
  std::vector<uint64_t> indices;
};

}  // namespace fastimg::loader
