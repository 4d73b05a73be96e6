#pragma once
// `fastimg bench loader` (bench/loader/library: the CLI runs it too): images/s of the Loader on a file, next to two figures measured in the
// same run on the same samples and thread count:
//  - the decode limit: single-core full JPEG decode (libjpeg-turbo) images/s times the threads;
//  - a naive FFCV-style baseline: full TurboJPEG decode, crop, cv::resize, then a separate flip
//    pass, one sample after another per thread.
#include <cstdint>
#include <string>

#include "loader/loader.h"

namespace fastimg::loader {

struct LoaderBenchOptions {
  std::string path;
  int resolution = 160;
  int threads = 0;  // 0 = all cores
  int batch_size = 256;
  int batches = 50;
  int warmup_batches = 3;
  OrderKind order = OrderKind::kRandom;
  bool train_pipeline = true;  // random-resized crop + flip; false: the evaluation centre crop
  uint64_t seed = 0;
  bool baseline = true;  // also run the naive baseline
};

struct LoaderBenchResult {
  int threads = 0;
  int64_t images = 0;
  double seconds = 0;
  double images_per_s = 0;
  double single_core_decode_images_per_s = 0;
  double decode_limit_images_per_s = 0;
  double naive_images_per_s = 0;  // 0 if not run
  // The same per CPU-second of the process: robust when other jobs share the cores.
  double images_per_cpu_s = 0, single_core_decode_images_per_cpu_s = 0, naive_images_per_cpu_s = 0;
  // The loader's per-sample work (cropped, DCT-scaled decode + resize + flip) on one core over
  // the same JPEGs; crop_decode_gain = full decode CPU time / its CPU time, the median over
  // alternating blocks of 16 samples (robust to a machine's speed drifting). 0 if no JPEGs.
  double single_core_crop_decode_images_per_s = 0, single_core_crop_decode_images_per_cpu_s = 0;
  double crop_decode_gain = 0;
  double jpeg_fraction = 0;       // of the file's samples
};

LoaderBenchResult run_loader_bench(const LoaderBenchOptions& options);

// The table DESIGN.md §9 asks for: what, baseline, ours, ratio.
std::string bench_table(const LoaderBenchOptions& options, const LoaderBenchResult& result);


}  // namespace fastimg::loader
