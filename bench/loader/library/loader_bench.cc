#include "bench/loader/library/loader_bench.h"

#include <turbojpeg.h>

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>
#include <vector>

#include "augment/pipelines.h"
#include "codec/jpeg_decoder.h"
#include "format/reader.h"
#include "loader/beton_source.h"
#include "loader/source.h"
#include "loader/order.h"
#include "util/error.h"
#include "util/named_enum.h"
#include "util/rng.h"

namespace fastimg::loader {
namespace {

augment::Transforms bench_transforms(const LoaderBenchOptions& o) {
  return o.train_pipeline ? augment::train_transforms() : augment::val_transforms();
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Images per second of wall time and of CPU time.
struct Rate {
  double wall = 0, cpu = 0;
};


// Samples the JPEG fraction is measured on: all of a .beton (metadata only), else up to 1000
// evenly spaced ones (each is a file read).
std::vector<uint64_t> probe_samples(const Source& source) {
  const uint64_t n = source.num_samples();
  const uint64_t count = source.kind() == SourceKind::kBeton ? n : std::min<uint64_t>(n, 1000);
  std::vector<uint64_t> out;
  for (uint64_t k = 0; k < count; ++k) out.push_back(k * n / count);
  return out;
}

// Up to 200 of the source's JPEG samples, copied to memory so that no I/O is timed.
std::vector<std::vector<uint8_t>> sample_jpegs(const Source& source) {
  std::vector<std::vector<uint8_t>> jpegs;
  std::vector<uint8_t> buffer;
  for (uint64_t i = 0; i < source.num_samples() && i < 5000 && jpegs.size() < 200; ++i) {
    try {
      const SampleData d = source.sample(i, buffer);
      if (d.encoding != SampleEncoding::kRaw && codec::is_jpeg(d.bytes)) jpegs.emplace_back(d.bytes.begin(), d.bytes.end());
    } catch (const Error&) {
    }
  }
  return jpegs;
}

// Single-core rates of a full decode and of the loader's own per-sample work on the same JPEGs,
// and their ratio. The two alternate in short blocks over the same samples (which goes first
// alternates too) and the ratio is the median of the blocks' ratios: on a shared or throttled
// machine a slow second separates two back-to-back measurements but not two adjacent blocks.
struct PairedRates {
  Rate full, crop;
  double gain = 0;  // median over blocks of full-decode CPU time / crop-decode CPU time
};

template <class Full, class Crop>
PairedRates paired_single_core_rates(size_t count, Full full_one, Crop crop_one) {
  constexpr size_t kBlock = 16;
  for (size_t k = 0; k < std::min<size_t>(count, 10); ++k) full_one(k), crop_one(k);
  struct Totals {
    int64_t n = 0;
    double wall = 0, cpu = 0;
  } full, crop;
  std::vector<double> ratios;
  size_t next = 0;
  auto time_block = [&](auto& one, Totals& t) {
    const auto start = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    for (size_t i = 0; i < kBlock; ++i) one((next + i) % count);
    const double cpu = thread_cpu_seconds() - cpu0;
    t.n += kBlock;
    t.wall += seconds_since(start);
    t.cpu += cpu;
    return cpu;
  };
  for (int round = 0; round < 16 || full.cpu + crop.cpu < 2.0 || full.n < 2 * static_cast<int64_t>(count); ++round) {
    double f = 0, c = 0;
    if (round % 2 == 0) {
      f = time_block(full_one, full);
      c = time_block(crop_one, crop);
    } else {
      c = time_block(crop_one, crop);
      f = time_block(full_one, full);
    }
    if (c > 0) ratios.push_back(f / c);
    next = (next + kBlock) % count;
  }
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  const double gain = ratios.empty() ? 0 : ratios[ratios.size() / 2];
  return {{full.n / full.wall, full.n / full.cpu}, {crop.n / crop.wall, crop.n / crop.cpu}, gain};
}

// Full decode (what the decode limit is made of) against the loader's own per-sample work on the
// same JPEGs (cropped, DCT-scaled decode + resize + flip): the crop-decode gain.
PairedRates single_core_decode_rates(const std::vector<std::vector<uint8_t>>& jpegs, const LoaderBenchOptions& o) {
  if (jpegs.empty()) return {};
  codec::JpegDecoder decoder;
  std::vector<codec::JpegInfo> info;
  for (const auto& j : jpegs) info.push_back(decoder.read_header(j));
  const int r = o.resolution;
  const augment::Transforms transforms = bench_transforms(o);
  std::vector<uint8_t> out(size_t(r) * r * 3);
  uint64_t draw = 0;
  auto full_one = [&](size_t k) { decoder.decode_full(jpegs[k]); };
  auto crop_one = [&](size_t k) {
    Rng rng(derive_seed(o.seed, 1, draw++));
    const int w = info[k].width, h = info[k].height;
    const augment::SamplePlan p = augment::plan_sample(transforms, w, h, r, r, rng);
    const codec::Rect c = p.crop_may_snap ? codec::align_crop_to_scaled_grid(p.crop, w, h, r, r) : p.crop;
    decoder.decode_crop_resize(jpegs[k], c, r, r, p.flip, out.data(), size_t(r) * 3);
  };
  return paired_single_core_rates(jpegs.size(), full_one, crop_one);
}

// What FFCV does per sample: decode the whole JPEG, crop, cv::resize, and flip as a separate pass.
Rate naive_rate(const format::Reader& reader, int field, const LoaderBenchOptions& o, int threads, int64_t images) {
  OrderOptions oo{o.order, o.seed, 0, 0, 1, 1, false, 4};
  std::vector<uint64_t> page_of(reader.num_samples());
  for (uint64_t i = 0; i < page_of.size(); ++i) page_of[i] = reader.page_of(i);
  const std::vector<uint64_t> order = global_order(reader.num_samples(), page_of, oo);
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  const int r = o.resolution;
  const augment::Transforms transforms = bench_transforms(o);
  auto work = [&] {
    tjhandle tj = tjInitDecompress();
    std::vector<uint8_t> full, out(size_t(r) * r * 3);
    while (true) {
      const int64_t i = next.fetch_add(1);
      if (i >= images) break;
      const uint64_t s = order[static_cast<size_t>(i) % order.size()];
      const format::ImageMeta m = reader.image_meta(s, field);
      auto bytes = reader.image_data(s, field);
      Rng rng(derive_seed(o.seed, 0, s));
      const augment::SamplePlan p = augment::plan_sample(transforms, m.width, m.height, r, r, rng);
      const codec::Rect c = p.crop;
      const bool flip = p.flip;
      const uint8_t* pixels = bytes.data();
      if (m.mode == static_cast<uint8_t>(format::ImageMode::kJpeg)) {
        full.resize(size_t{m.width} * m.height * 3);
        if (tjDecompress2(tj, bytes.data(), bytes.size(), full.data(), m.width, 0, m.height, TJPF_RGB, 0) != 0) {
          failed = true;
          continue;
        }
        pixels = full.data();
      }
      cv::Mat src(m.height, m.width, CV_8UC3, const_cast<uint8_t*>(pixels));
      cv::Mat dst(r, r, CV_8UC3, out.data());
      cv::resize(src(cv::Rect(c.x, c.y, c.width, c.height)), dst, dst.size(), 0, 0, cv::INTER_AREA);
      if (flip) cv::flip(dst, dst, 1);
    }
    tjDestroy(tj);
  };
  const auto start = Clock::now();
  const double cpu0 = process_cpu_seconds();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (failed) fail("{}: the baseline's TurboJPEG decode failed", o.path);
  return {images / seconds_since(start), images / (process_cpu_seconds() - cpu0)};
}

}  // namespace


LoaderBenchResult run_loader_bench(const LoaderBenchOptions& o) {
  LoaderBenchResult result;
  LoaderOptions lo;
  lo.path = o.path;
  lo.batch_size = o.batch_size;
  lo.threads = o.threads;
  lo.order = o.order;
  lo.transforms = bench_transforms(o);
  lo.resolution = o.resolution;
  lo.seed = o.seed;
  lo.drop_last = false;
  Loader loader(lo);
  result.threads = loader.num_threads();

  const Source& source = loader.source();
  {
    uint64_t jpegs = 0;
    std::vector<uint8_t> buffer;
    const std::vector<uint64_t> probe = probe_samples(source);
    for (uint64_t i : probe) {
      try {
        const SampleData d = source.sample(i, buffer);
        jpegs += d.encoding != SampleEncoding::kRaw && codec::is_jpeg(d.bytes);
      } catch (const Error&) {
      }
    }
    result.jpeg_fraction = probe.empty() ? 0 : double(jpegs) / probe.size();
  }

  // Batches across epoch boundaries count too: a small file is simply read again.
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  auto next_batch = [&]() -> int64_t {
    auto b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
      if (!b) fail("{}: no batch in an epoch", o.path);
    }
    return b->images.size(0);
  };
  for (int i = 0; i < o.warmup_batches; ++i) next_batch();
  const auto start = Clock::now();
  const double cpu0 = process_cpu_seconds();
  for (int i = 0; i < o.batches; ++i) result.images += next_batch();
  result.seconds = seconds_since(start);
  result.images_per_s = result.images / result.seconds;
  // Workers keep filling the batches ahead while we stop the clock; that CPU time was spent on
  // images not counted, so the CPU figure is a slight underestimate.
  result.images_per_cpu_s = result.images / (process_cpu_seconds() - cpu0);

  const auto jpegs = sample_jpegs(source);
  const PairedRates rates = single_core_decode_rates(jpegs, o);
  result.single_core_decode_images_per_s = rates.full.wall;
  result.single_core_decode_images_per_cpu_s = rates.full.cpu;
  result.decode_limit_images_per_s = rates.full.wall * result.threads;
  result.single_core_crop_decode_images_per_s = rates.crop.wall;
  result.single_core_crop_decode_images_per_cpu_s = rates.crop.cpu;
  result.crop_decode_gain = rates.gain;
  // The naive baseline reads .beton files only.
  const auto* beton = dynamic_cast<const BetonSource*>(&source);
  if (o.baseline && beton) {
    const Rate naive = naive_rate(beton->reader(), beton->image_field(), o, result.threads, result.images);
    result.naive_images_per_s = naive.wall;
    result.naive_images_per_cpu_s = naive.cpu;
  }
  return result;
}

std::string bench_table(const LoaderBenchOptions& o, const LoaderBenchResult& r) {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  std::string t = fmt::format("{:<46} {:>10} {:>10} {:>7}\n", "what", "baseline", "ours", "ratio");
  auto row = [&](const char* what, double base, double ours, double r = 0) {
    t += fmt::format("{:<46} {:>10.0f} {:>10.0f} {:>7.2f}\n", what, base, ours, r > 0 ? r : ratio(ours, base));
  };
  row("images/s vs decode limit (1-core full x thr)", r.decode_limit_images_per_s, r.images_per_s);
  if (r.naive_images_per_s > 0) row("images/s vs naive (full decode+resize+flip)", r.naive_images_per_s, r.images_per_s);
  row("images/CPU-s vs 1-core full decode", r.single_core_decode_images_per_cpu_s, r.images_per_cpu_s);
  if (r.crop_decode_gain > 0) {
    row("1-core crop decode vs full decode (crop gain)", r.single_core_decode_images_per_cpu_s,
        r.single_core_crop_decode_images_per_cpu_s, r.crop_decode_gain);  // the blocks' median
    row("images/CPU-s vs 1-core full decode x crop gain",
        r.single_core_decode_images_per_cpu_s * r.crop_decode_gain, r.images_per_cpu_s);
  }
  if (r.naive_images_per_cpu_s > 0) row("images/CPU-s vs naive", r.naive_images_per_cpu_s, r.images_per_cpu_s);
  t += fmt::format("{}: {} threads, {} px, {} order, {} pipeline, batch {}, {} images in {:.2f} s, JPEG fraction {:.2f}\n",
                   o.path, r.threads, o.resolution, enum_name<OrderKind>(kOrderKindNames, o.order), (o.train_pipeline ? "train" : "val"), o.batch_size,
                   r.images, r.seconds, r.jpeg_fraction);
  return t;
}

}  // namespace fastimg::loader
