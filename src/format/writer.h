#pragma once
// Writing image datasets: any labelled image source (an ImageFolder, generated images) to a .beton
// file with an "image" RGB field and a "label" int field, in FFCV's layout.
//
// Deterministic: the write order is a seeded shuffle and every per-image random choice (JPEG vs
// raw) derives from (seed, source index), so the same input, options and seed give a
// byte-identical file whatever the worker count. Crash-safe: written to a temp name, renamed when
// complete.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codec/image.h"
#include "format/layout.h"

namespace fastimg::format {

struct WriterOptions {
  uint32_t page_size = kDefaultPageSize;
  int workers = 0;            // 0 = all cores
  uint64_t seed = 0;
  bool shuffle = true;        // seeded shuffle of the write order
  int max_resolution = 0;     // longest side; larger images are shrunk (INTER_AREA); 0 = keep
  double jpeg_fraction = 1.0; // per-image probability of JPEG (else raw); 0 = all raw, 1 = all JPEG
  int jpeg_quality = 90;      // of re-encoded images (a passed-through JPEG keeps its own)
  bool reencode = false;      // decode + re-encode every JPEG, even one that could be stored as is
  int restart_interval = 0;   // JPEG restart markers about every N MCUs, tiling MCU rows (0 = none):
                              // the loader then entropy-decodes only the intervals a crop overlaps;
                              // a passed-through JPEG without them is re-wrapped losslessly
  bool strict = false;        // an unreadable image is an error instead of being skipped
  bool progress = false;      // progress bar on stderr
};

// Give `read` for encoded files (JPEG, PNG, ...): a JPEG selected for JPEG storage that is a
// 3-channel baseline stream within max_resolution is then stored as its own bytes, no decode, no
// generation loss (codec/jpeg_header.h says which qualify); everything else is decoded. Give
// `load` for images that exist only as pixels. Both are called from worker threads and may throw
// fastimg::Error.
struct LabeledImageSource {
  size_t size = 0;
  std::function<std::string(size_t)> name;           // e.g. the path, for messages
  std::function<std::vector<uint8_t>(size_t)> read;  // encoded bytes
  std::function<codec::Image(size_t)> load;          // decoded pixels, when there is no `read`
  std::function<int64_t(size_t)> label;
};

struct WriteReport {
  uint64_t written = 0, skipped = 0, jpeg = 0, raw = 0;
  uint64_t passthrough = 0;           // JPEGs stored as their source bytes (counted in jpeg too)
  uint64_t bytes = 0;                 // final file size
  double seconds = 0;
  std::vector<std::string> errors;    // one "path: problem" line per skipped image
};

WriteReport write_images(const LabeledImageSource& source, const std::string& out_path, const WriterOptions& options);

// Class sub-folders of DIR, classes indexed in sorted (byte-wise) order; files sorted within each.
// The class folders are listed by `threads` threads (0 = up to 8); the result does not depend on it.
struct ImageFolder {
  std::vector<std::string> classes;
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
};
ImageFolder scan_imagefolder(const std::string& dir, int threads = 0);
WriteReport write_imagefolder(const std::string& dir, const std::string& out_path, const WriterOptions& options);

}  // namespace fastimg::format
