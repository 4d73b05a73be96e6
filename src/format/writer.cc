// write_images: workers decode/resize/encode samples in parallel; one packer (the calling thread)
// places them into pages strictly in write order, so the bytes never depend on thread timing.
#include "format/writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <thread>

#include "codec/jpeg_header.h"
#include "codec/restart_encode.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/rng.h"

namespace fastimg::format {
namespace {

// Stream ids keep the write-order shuffle and the per-image choices independent.
constexpr uint64_t kOrderStream = 0x6f72646572;  // "order"
constexpr uint64_t kModeStream = 0x6d6f6465;     // "mode"

struct Encoded {
  bool ok = false;
  bool passthrough = false;  // the source's own JPEG bytes
  std::string error;
  ImageMode mode = ImageMode::kRaw;
  int width = 0, height = 0;
  int64_t label = 0;
  std::vector<uint8_t> bytes;
};

std::vector<size_t> write_order(size_t n, const WriterOptions& options) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (options.shuffle) {
    Rng rng(derive_seed(options.seed, kOrderStream));
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[static_cast<size_t>(rng.uniform_int(0, i - 1))]);
  }
  return order;
}

// FFCV's resizer: ratio = max_res / max(w, h); new size = int(w * ratio), int(h * ratio).
codec::Image limit_resolution(codec::Image image, int max_resolution) {
  if (max_resolution <= 0) return image;
  const int longest = std::max(image.width, image.height);
  const double ratio = static_cast<double>(max_resolution) / longest;
  if (ratio >= 1.0) return image;
  int w = std::max(1, static_cast<int>(ratio * image.width));
  int h = std::max(1, static_cast<int>(ratio * image.height));
  return codec::resize_rgb(image.view(), w, h);
}

// A source JPEG that every reader decodes like a re-encoded one is stored as is.
bool store_as_is(std::vector<uint8_t>& bytes, const WriterOptions& options, Encoded& e) {
  const auto header = codec::parse_jpeg_header(bytes);
  if (!codec::passthrough_obstacle(header).empty()) return false;
  if (options.max_resolution > 0 && std::max(header->width, header->height) > options.max_resolution) return false;
  if (bytes.size() > options.page_size) return false;
  e.mode = ImageMode::kJpeg;
  e.width = header->width;
  e.height = header->height;
  if (options.restart_interval > 0 && !codec::has_row_tiling_restarts(bytes))
    bytes = codec::add_restart_markers(bytes, options.restart_interval, "JPEG");
  if (bytes.size() > options.page_size) return false;
  e.bytes = std::move(bytes);
  e.passthrough = true;
  return true;
}

Encoded encode_sample(const LabeledImageSource& source, size_t index, const WriterOptions& options) {
  Encoded e;
  try {
    Rng rng(derive_seed(options.seed, kModeStream, index));
    const bool jpeg = rng.uniform() < options.jpeg_fraction;
    e.label = source.label(index);
    codec::Image image;
    if (source.read) {
      std::vector<uint8_t> bytes = source.read(index);
      if (jpeg && !options.reencode && store_as_is(bytes, options, e)) {
        e.ok = true;
        return e;
      }
      image = codec::decode_image(bytes, source.name(index));
    } else {
      image = source.load(index);
    }
    image = limit_resolution(std::move(image), options.max_resolution);
    if (image.width > 65535 || image.height > 65535)
      fail("{}: image {}x{} is larger than the format's 65535 limit (use --max-res)", source.name(index),
           image.width, image.height);
    e.width = image.width;
    e.height = image.height;
    if (jpeg) {
      e.mode = ImageMode::kJpeg;
      e.bytes = options.restart_interval > 0
                    ? codec::encode_jpeg_with_restarts(image.view(), options.jpeg_quality, options.restart_interval)
                    : codec::encode_jpeg(image.view(), options.jpeg_quality);
    } else {
      e.mode = ImageMode::kRaw;
      e.bytes = std::move(image.pixels);
    }
    e.ok = true;
  } catch (const std::exception& ex) {
    std::string name = source.name(index), what = ex.what();
    e.error = what.rfind(name, 0) == 0 ? what : name + ": " + what;
  }
  return e;
}

void pwrite_all(int fd, const void* data, size_t size, uint64_t offset, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("{}: write failed: {}", path, std::strerror(errno));
    }
    p += n, size -= static_cast<size_t>(n), offset += static_cast<uint64_t>(n);
  }
}

// Bounded in-order hand-off from the workers to the packer: slot i % window holds position i.
class Pipeline {
 public:
  Pipeline(size_t total, size_t window) : total_(total), slots_(window) {}

  // Worker side: the next position to produce, or nullopt when done or aborted.
  std::optional<size_t> claim() {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return aborted_ || next_claim_ >= total_ || next_claim_ < next_take_ + slots_.size(); });
    if (aborted_ || next_claim_ >= total_) return std::nullopt;
    return next_claim_++;
  }
  void put(size_t position, Encoded e) {
    std::lock_guard lock(mutex_);
    slots_[position % slots_.size()] = std::move(e);
    ready_.notify_all();
  }
  // Packer side: position next_take_, blocking until a worker has produced it.
  Encoded take() {
    std::unique_lock lock(mutex_);
    auto& slot = slots_[next_take_ % slots_.size()];
    ready_.wait(lock, [&] { return slot.has_value(); });
    Encoded e = std::move(*slot);
    slot.reset();
    ++next_take_;
    space_.notify_all();
    return e;
  }
  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    space_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable space_, ready_;
  size_t total_, next_claim_ = 0, next_take_ = 0;
  bool aborted_ = false;
  std::vector<std::optional<Encoded>> slots_;
};

// Places allocations into fixed-size pages in arrival order, never across a page boundary, and
// writes each page (zero padded) as soon as the next one starts.
class PagePacker {
 public:
  PagePacker(int fd, const std::string& path, uint64_t data_start, uint32_t page_size)
      : fd_(fd), path_(path), page_start_(data_start), page_size_(page_size), page_(page_size, 0) {}

  uint64_t allocate(const std::vector<uint8_t>& bytes, const std::string& what) {
    if (bytes.size() > page_size_)
      fail("{}: encoded sample is {} bytes, larger than the {}-byte page (use a larger --page-size or a smaller --max-res)",
           what, bytes.size(), page_size_);
    if (fill_ + bytes.size() > page_size_) flush();
    uint64_t ptr = page_start_ + fill_;
    std::memcpy(page_.data() + fill_, bytes.data(), bytes.size());
    fill_ += bytes.size();
    return ptr;
  }
  // Writes the last page; returns the end of the data region.
  uint64_t finish() {
    if (fill_ > 0) flush();
    return page_start_;
  }

 private:
  void flush() {
    std::fill(page_.begin() + static_cast<std::ptrdiff_t>(fill_), page_.end(), uint8_t{0});
    pwrite_all(fd_, page_.data(), page_.size(), page_start_, path_);
    page_start_ += page_size_;
    fill_ = 0;
  }

  int fd_;
  const std::string& path_;
  uint64_t page_start_;
  uint32_t page_size_;
  size_t fill_ = 0;
  std::vector<uint8_t> page_;
};

std::vector<uint8_t> field_descriptor(FieldType type, const std::string& name) {
  std::vector<uint8_t> d(kFieldDescSize, 0);
  d[0] = static_cast<uint8_t>(type);
  std::memcpy(d.data() + 1, name.data(), std::min(name.size(), kFieldNameSize));
  return d;
}

void validate_options(const WriterOptions& o, const std::string& out_path) {
  if (o.page_size == 0 || (o.page_size & (o.page_size - 1)) != 0 || o.page_size < 4096)
    fail("{}: page size {} must be a power of two >= 4096", out_path, o.page_size);
  if (!(o.jpeg_fraction >= 0.0 && o.jpeg_fraction <= 1.0))
    fail("{}: JPEG fraction {} must be in [0, 1]", out_path, o.jpeg_fraction);
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100) fail("{}: JPEG quality {} must be in 1..100", out_path, o.jpeg_quality);
  if (o.max_resolution < 0) fail("{}: max resolution {} must be >= 0", out_path, o.max_resolution);
  if (o.restart_interval < 0 || o.restart_interval > 4096)
    fail("{}: restart interval {} must be in 0..4096 MCUs", out_path, o.restart_interval);
}

}  // namespace

WriteReport write_images(const LabeledImageSource& source, const std::string& out_path, const WriterOptions& options) {
  validate_options(options, out_path);
  const auto start = std::chrono::steady_clock::now();
  const size_t n = source.size;
  const std::vector<size_t> order = write_order(n, options);
  const int workers = options.workers > 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());

  // Layout: header | 2 descriptors | n metadata rows (room for all; skips leave it unused) | pages.
  const std::array<FieldType, 2> types{FieldType::kRGBImage, FieldType::kInt};
  const RowLayout layout = row_layout(types);
  const uint64_t metadata_start = kHeaderSize + types.size() * kFieldDescSize;
  const uint64_t metadata_end = metadata_start + n * layout.row_size;
  const uint64_t data_start = (metadata_end + options.page_size - 1) / options.page_size * options.page_size;

  AtomicFile file(out_path);
  WriteReport report;
  std::vector<uint8_t> metadata;
  metadata.reserve(n * layout.row_size);
  std::vector<AllocEntry> allocs;
  allocs.reserve(n);
  std::vector<std::string> written_names;
  written_names.reserve(n);

  Pipeline pipeline(n, static_cast<size_t>(workers) * 4 + 16);
  std::vector<std::thread> threads;
  auto stop_workers = [&] {
    pipeline.abort();
    for (auto& t : threads)
      if (t.joinable()) t.join();
  };
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&] {
      while (auto position = pipeline.claim()) pipeline.put(*position, encode_sample(source, order[*position], options));
    });

  try {
    Progress progress("write", n, "img", options.progress);
    PagePacker packer(file.fd(), out_path, data_start, options.page_size);
    for (size_t position = 0; position < n; ++position) {
      Encoded e = pipeline.take();
      const size_t index = order[position];
      if (!e.ok) {
        if (options.strict) fail("{}", e.error);
        report.skipped++;
        report.errors.push_back(std::move(e.error));
        progress.advance();
        continue;
      }
      const uint64_t sample_id = report.written++;
      const uint64_t ptr = packer.allocate(e.bytes, source.name(index));
      allocs.push_back({sample_id, ptr, e.bytes.size()});
      (e.mode == ImageMode::kJpeg ? report.jpeg : report.raw)++;
      report.passthrough += e.passthrough;
      // One row: the packed image struct at its offset, the int64 label at its own, zero padding.
      std::vector<uint8_t> row(layout.row_size, 0);
      ImageMeta meta{static_cast<uint8_t>(e.mode), static_cast<uint16_t>(e.width), static_cast<uint16_t>(e.height), ptr};
      std::memcpy(row.data() + layout.offsets[0], &meta, sizeof meta);
      std::memcpy(row.data() + layout.offsets[1], &e.label, sizeof e.label);
      metadata.insert(metadata.end(), row.begin(), row.end());
      written_names.push_back(source.name(index));
      progress.advance();
    }
    stop_workers();
    if (n > 0 && report.written == 0) fail("{}: none of the {} images could be read", out_path, n);
    const uint64_t alloc_table_ptr = packer.finish();
    progress.finish();

    // Everything but the header, then the header: a crash before this point leaves alloc_table_ptr 0.
    pwrite_all(file.fd(), metadata.data(), metadata.size(), metadata_start, out_path);
    if (metadata_end > metadata_start + metadata.size()) {
      std::vector<uint8_t> zeros(metadata_end - metadata_start - metadata.size(), 0);
      pwrite_all(file.fd(), zeros.data(), zeros.size(), metadata_start + metadata.size(), out_path);
    }
    pwrite_all(file.fd(), allocs.data(), allocs.size() * sizeof(AllocEntry), alloc_table_ptr, out_path);
    auto image_desc = field_descriptor(FieldType::kRGBImage, "image");
    auto label_desc = field_descriptor(FieldType::kInt, "label");
    pwrite_all(file.fd(), image_desc.data(), kFieldDescSize, kHeaderSize, out_path);
    pwrite_all(file.fd(), label_desc.data(), kFieldDescSize, kHeaderSize + kFieldDescSize, out_path);
    Header header;
    header.num_fields = static_cast<uint16_t>(types.size());
    header.page_size = options.page_size;
    header.num_samples = report.written;
    header.alloc_table_ptr = alloc_table_ptr;
    pwrite_all(file.fd(), &header, sizeof header, 0, out_path);
    report.bytes = alloc_table_ptr + allocs.size() * sizeof(AllocEntry);
    file.commit();
  } catch (...) {
    stop_workers();
    throw;
  }

  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Side-car with what FFCV's format cannot hold: the write parameters and sample -> source.
  nlohmann::json params = {
      {"format", "fastimg write parameters"},
      {"dataset", out_path.substr(out_path.find_last_of('/') + 1)},
      {"seed", options.seed},
      {"shuffle", options.shuffle},
      {"max_resolution", options.max_resolution},
      {"jpeg_fraction", options.jpeg_fraction},
      {"jpeg_quality", options.jpeg_quality},
      {"reencode", options.reencode},
      {"restart_interval", options.restart_interval},
      {"page_size", options.page_size},
      {"written", report.written},
      {"skipped", report.skipped},
      {"jpeg", report.jpeg},
      {"raw", report.raw},
      {"passthrough", report.passthrough},
      {"errors", report.errors},
      {"sources", written_names},
  };
  write_file_atomically(out_path + ".json", params.dump(1) + "\n");
  return report;
}

}  // namespace fastimg::format
