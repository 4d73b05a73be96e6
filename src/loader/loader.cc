#include "loader/loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "augment/transform.h"
#include "codec/crop_resize.h"
#include "codec/jpeg_decoder.h"
#include "loader/batch_buffers.h"
#include "loader/order.h"
#include "loader/source.h"
#include "util/error.h"
#include "util/rng.h"

namespace fastimg::loader {

// Work distribution: item i of the epoch is sample order[i], written to position i % B of batch
// i / B, whose buffer is slot (i / B) % num_slots. Workers take items from one atomic counter
// (so a slow JPEG never leaves other threads idle behind a fixed range) and wait only when the
// slot of their batch is still held by the consumer. Which thread decodes a sample does not
// change its pixels: its crop and flip come from derive_seed(seed, epoch, sample).
//
// A sample that cannot be read or decoded is reported once (stderr and problems()) and marked bad;
// its batch position takes the next good sample of the rank's order (wrapping around), decoded
// with that sample's own crop and flip. Whether a sample is bad does not depend on timing, so the
// batches stay identical for any thread count. Under `strict` the first bad sample is an error.
struct Loader::Impl {
  LoaderOptions opt;
  std::unique_ptr<Source> source;
  std::vector<uint64_t> page_of;
  std::unique_ptr<std::atomic<uint8_t>[]> bad;  // per sample: known unreadable
  std::mutex problems_mu;
  std::vector<std::string> problems;
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> decoded{0};
  int64_t num_classes = 0;
  size_t max_image_bytes = 0;

  BatchBuffers buffers;
  std::vector<std::shared_ptr<CopyFence>> fences;  // per slot: device copies still reading it
  std::vector<std::unique_ptr<codec::JpegDecoder>> decoders;
  std::vector<std::vector<uint8_t>> file_buffers;  // per thread: file sources read into these
  // decode = kDevice: per slot and row, the planned JPEG (index < 0: decoded by the threads) and,
  // for file sources, its bytes (the thread's file buffer is reused for the next sample).
  std::vector<std::vector<DeferredImage>> deferred;
  std::vector<std::vector<std::vector<uint8_t>>> deferred_bytes;
  std::vector<std::thread> threads;
  int next_resolution;

  // Epoch state: written under mu while no worker is active.
  std::mutex mu;
  std::condition_variable work_cv, ready_cv;
  bool stop = false;
  uint64_t generation = 0;
  int active = 0;
  std::atomic<bool> abort{false};
  bool started = false;
  int64_t epoch = 0;
  int resolution = 0;
  std::vector<uint64_t> order;
  uint64_t total_items = 0;
  int64_t num_batches = 0;
  std::atomic<uint64_t> next_item{0};
  std::atomic<int64_t> released{0};  // batches < released + num_slots may be written
  std::vector<std::atomic<int>> done;
  int64_t consumed = 0;
  bool holding = false;
  std::exception_ptr error;

  explicit Impl(LoaderOptions o)
      : opt(std::move(o)),
        source(open_source(opt.path, opt.image_field, opt.label_field, opt.list_cache_dir)),
        buffers(std::max(1, opt.batches_ahead) + 1, opt.batch_size, opt.pin_memory),
        next_resolution(opt.resolution),
        done(static_cast<size_t>(std::max(1, opt.batches_ahead) + 1)) {
    if (opt.decode == DecodeBackend::kAuto) fail("{}: decode = auto must be resolved before the loader starts", opt.path);
    if (opt.decode == DecodeBackend::kDevice) {
      deferred.assign(buffers.num_slots(), std::vector<DeferredImage>(opt.batch_size));
      deferred_bytes.assign(buffers.num_slots(), std::vector<std::vector<uint8_t>>(opt.batch_size));
    }
    set_fences([] { return std::make_shared<StreamEventFence>(); });
    if (opt.batch_size < 1) fail("{}: batch size {} < 1", opt.path, opt.batch_size);
    if (opt.resolution < 1) fail("{}: resolution {} < 1", opt.path, opt.resolution);
    if (opt.strict && !source->open_problems().empty())
      fail("{} (strict)", source->open_problems().front());
    for (const std::string& p : source->open_problems()) report(p);
    const uint64_t n = source->num_samples();
    page_of.resize(n);
    bad = std::make_unique<std::atomic<uint8_t>[]>(n);
    for (uint64_t i = 0; i < n; ++i) {
      num_classes = std::max(num_classes, source->label(i) + 1);
      page_of[i] = source->page_of(i);
      bad[i] = 0;
    }
    select_subset();
    max_image_bytes = source->max_decoded_bytes();
    // No MADV_RANDOM for the shuffled orders: it also turns off the kernel's fault-around, so a
    // raw sample of a few hundred KB would take one page fault per 4 KB.
    if (opt.order == OrderKind::kSequential) source->advise_sequential();
    codec::disable_opencv_threads();

    int n_threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int t = 0; t < n_threads; ++t) {
      decoders.push_back(std::make_unique<codec::JpegDecoder>());
      // A full-size decode fits, so scratch never grows while loading (capped: huge images grow it once).
      if (max_image_bytes > 0) decoders.back()->reserve(std::min<size_t>(max_image_bytes, size_t{64} << 20));
    }
    file_buffers.resize(static_cast<size_t>(n_threads));
    for (int t = 0; t < n_threads; ++t) threads.emplace_back([this, t] { worker(t); });
  }

  ~Impl() {
    {
      std::unique_lock lk(mu);
      stop = true;
      abort = true;
    }
    work_cv.notify_all();
    for (auto& t : threads) t.join();
  }

  // With LoaderOptions::indices the orders run over subset positions; page_of then holds the
  // subset's pages and epoch_order() maps positions back to samples.
  void select_subset() {
    const uint64_t n = source->num_samples();
    std::vector<uint64_t> subset_pages;
    subset_pages.reserve(opt.indices.size());
    for (size_t i = 0; i < opt.indices.size(); ++i) {
      if (opt.indices[i] >= n) fail("{}: indices[{}] = {} is not a sample (the file has {})", opt.path, i, opt.indices[i], n);
      subset_pages.push_back(page_of[opt.indices[i]]);
    }
    if (!opt.indices.empty()) page_of = std::move(subset_pages);
  }

  uint64_t order_size() const { return opt.indices.empty() ? source->num_samples() : opt.indices.size(); }

  std::vector<uint64_t> epoch_order(int64_t e) const {
    std::vector<uint64_t> positions = rank_order(order_size(), page_of, order_options(e));
    if (!opt.indices.empty())
      for (uint64_t& p : positions) p = opt.indices[p];
    return positions;
  }

  void set_fences(const CopyFenceFactory& factory) {
    fences.clear();
    for (int i = 0; i < buffers.num_slots(); ++i) fences.push_back(factory());
  }

  // The held slot's device copies must finish before a worker may write into it again. Called by
  // the consumer thread, the only one that changes `holding` and `consumed`.
  void wait_for_held_copies() {
    if (holding) fences[(consumed - 1) % buffers.num_slots()]->wait();
  }

  OrderOptions order_options(int64_t e) const {
    return {opt.order, opt.seed, e, opt.rank, opt.world_size, opt.batch_size, opt.drop_last, 4};
  }

  int64_t batch_size_of(int64_t b) const {
    return std::min<int64_t>(opt.batch_size, static_cast<int64_t>(total_items) - b * opt.batch_size);
  }

  // Stops the running epoch: workers finish their current sample and go idle.
  void halt(std::unique_lock<std::mutex>& lk) {
    abort = true;
    work_cv.notify_all();
    ready_cv.wait(lk, [&] { return active == 0; });
  }

  void start_epoch(int64_t e, int64_t first_batch) {
    if (first_batch < 0) fail("{}: first batch {} < 0", opt.path, first_batch);
    wait_for_held_copies();
    std::unique_lock lk(mu);
    halt(lk);
    epoch = e;
    resolution = next_resolution;
    buffers.ensure(resolution);
    order = epoch_order(e);
    total_items = order.size();
    num_batches = static_cast<int64_t>(batches_per_rank(order_size(), order_options(e)));
    // Resuming at first_batch: the workers start at its first item, nothing before it is decoded.
    first_batch = std::min(first_batch, num_batches);
    next_item = std::min<uint64_t>(total_items, static_cast<uint64_t>(first_batch) * opt.batch_size);
    released = first_batch;
    for (auto& d : done) d = 0;
    consumed = first_batch;
    holding = false;
    error = nullptr;
    started = true;
    abort = false;
    ++generation;
    lk.unlock();
    work_cv.notify_all();
  }

  void report(const std::string& line) {
    std::fprintf(stderr, "fastimg loader: skipped %s\n", line.c_str());
    std::lock_guard lk(problems_mu);
    problems.push_back(line);
  }

  // Leaves a 3-channel JPEG to the device stage (decode = kDevice): its bytes and plan only.
  void defer(int t, uint64_t sample, const SampleData& d, codec::Rect crop, bool flip, int slot, int64_t row) {
    std::span<const uint8_t> bytes = d.bytes;
    const std::vector<uint8_t>& scratch = file_buffers[t];
    if (!scratch.empty() && bytes.data() >= scratch.data() && bytes.data() < scratch.data() + scratch.size()) {
      auto& owned = deferred_bytes[slot][row];
      owned.assign(bytes.begin(), bytes.end());
      bytes = owned;
    }
    deferred[slot][row] = DeferredImage{row, bytes, crop, flip, sample};
  }

  // Decodes one sample into row `row` of `slot` following its plan (the transforms, with the
  // sample's own Rng), or defers it to the device; throws fastimg::Error.
  void decode(int t, uint64_t sample, int slot, int64_t row) {
    const int r = resolution;
    uint8_t* dst = buffers.images(slot) + row * size_t(r) * r * 3;
    if (!deferred.empty()) deferred[slot][row].index = -1;
    codec::JpegDecoder& decoder = *decoders[t];
    const size_t stride = size_t(r) * 3;
    const SampleData d = source->sample(sample, file_buffers[t]);
    Rng rng(derive_seed(opt.seed, static_cast<uint64_t>(epoch), sample));
    auto plan_for = [&](int w, int h) { return augment::plan_sample(opt.transforms, w, h, r, r, rng); };
    if (d.encoding == SampleEncoding::kRaw) {
      const size_t need = size_t(d.width) * d.height * 3;
      if (d.bytes.size() < need) fail("raw image of {} bytes, {}x{} needs {}", d.bytes.size(), d.width, d.height, need);
      const augment::SamplePlan plan = plan_for(d.width, d.height);
      const codec::ImageView view{d.bytes.data(), d.width, d.height, size_t(d.width) * 3};
      codec::crop_resize(view, plan.crop, r, r, plan.flip, dst, stride);
      return;
    }
    if (codec::is_jpeg(d.bytes)) {
      int w = d.width, h = d.height;
      bool four_channel = false;  // CMYK/YCCK (files, not .beton): full decode below, as the writer does
      if (w == 0 || h == 0) {
        const codec::JpegInfo info = decoder.read_header(d.bytes);
        w = info.width;
        h = info.height;
        four_channel = info.components == 4;
      }
      if (!four_channel) {
        const augment::SamplePlan plan = plan_for(w, h);
        const codec::Rect crop = plan.crop_may_snap ? codec::align_crop_to_scaled_grid(plan.crop, w, h, r, r) : plan.crop;
        if (opt.decode == DecodeBackend::kDevice) return defer(t, sample, d, crop, plan.flip, slot, row);
        decoder.decode_crop_resize(d.bytes, crop, r, r, plan.flip, dst, stride);
        return;
      }
    }
    // PNG, CMYK JPEG and anything else the writer accepts: full decode, then the raw path.
    const codec::Image image = codec::decode_image(d.bytes, "image");
    const augment::SamplePlan plan = plan_for(image.width, image.height);
    codec::crop_resize(image.view(), plan.crop, r, r, plan.flip, dst, stride);
  }

  void process(int t, uint64_t item) {
    const int64_t batch = static_cast<int64_t>(item / opt.batch_size);
    const int slot = static_cast<int>(batch % buffers.num_slots());
    const int64_t row = static_cast<int64_t>(item % opt.batch_size);
    uint64_t pos = item;
    for (uint64_t tries = 0; tries < total_items; ++tries, pos = (pos + 1) % total_items) {
      const uint64_t sample = order[pos];
      if (bad[sample].load(std::memory_order_relaxed)) continue;
      try {
        decode(t, sample, slot, row);
        buffers.labels(slot)[row] = source->label(sample);
        decoded.fetch_add(1, std::memory_order_relaxed);
        return;
      } catch (const Error& e) {
        if (opt.strict) fail("{}: {}", source->sample_name(sample), e.what());
        if (bad[sample].exchange(1) == 0) {
          skipped.fetch_add(1);
          report(source->sample_name(sample) + ": " + e.what());
        }
      }
    }
    fail("{}: no readable sample in this rank's epoch order", opt.path);
  }

  void worker(int t) {
    uint64_t seen = 0;
    std::unique_lock lk(mu);
    while (true) {
      work_cv.wait(lk, [&] { return stop || (generation != seen && !abort); });
      if (stop) return;
      seen = generation;
      ++active;
      lk.unlock();
      const int num_slots = buffers.num_slots();
      while (!abort) {
        const uint64_t item = next_item.fetch_add(1);
        if (item >= total_items) break;
        const int64_t batch = static_cast<int64_t>(item / opt.batch_size);
        if (batch >= released.load() + num_slots) {
          std::unique_lock wait_lk(mu);
          work_cv.wait(wait_lk, [&] { return abort || batch < released.load() + num_slots; });
          if (abort) break;
        }
        try {
          process(t, item);
        } catch (...) {
          std::unique_lock err_lk(mu);
          if (!error) error = std::current_exception();
          abort = true;
          ready_cv.notify_all();
          work_cv.notify_all();
          break;
        }
        const int slot = static_cast<int>(batch % num_slots);
        if (done[slot].fetch_add(1) + 1 == batch_size_of(batch)) {
          std::unique_lock ready_lk(mu);
          ready_cv.notify_all();
        }
      }
      lk.lock();
      if (--active == 0) ready_cv.notify_all();
    }
  }

  std::optional<Batch> next() {
    wait_for_held_copies();  // outside the lock: the workers go on with other slots meanwhile
    std::unique_lock lk(mu);
    if (!started) fail("{}: next() before start_epoch()", opt.path);
    if (holding) {
      // The consumer is done with the previous batch and its copies: the slot may be refilled.
      holding = false;
      done[(consumed - 1) % buffers.num_slots()] = 0;
      released = consumed;
      work_cv.notify_all();
    }
    if (error) std::rethrow_exception(error);
    if (consumed >= num_batches) return std::nullopt;
    const int slot = static_cast<int>(consumed % buffers.num_slots());
    const int64_t n = batch_size_of(consumed);
    ready_cv.wait(lk, [&] { return done[slot].load() == n || error; });
    if (error) std::rethrow_exception(error);
    ++consumed;
    holding = true;
    Batch batch{buffers.image_view(slot, n), buffers.label_view(slot, n), fences[slot], {}};
    if (!deferred.empty())
      for (int64_t row = 0; row < n; ++row)
        if (deferred[slot][row].index >= 0) batch.deferred.push_back(deferred[slot][row]);
    return batch;
  }

  uint64_t scratch_reallocations() const {
    uint64_t total = 0;
    for (const auto& d : decoders) total += d->scratch_reallocations();
    return total;
  }
};

Loader::Loader(LoaderOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Loader::~Loader() = default;

void Loader::start_epoch(int64_t epoch, int64_t first_batch) { impl_->start_epoch(epoch, first_batch); }
void Loader::set_resolution(int resolution) {
  if (resolution < 1) fail("{}: resolution {} < 1", impl_->opt.path, resolution);
  std::unique_lock lk(impl_->mu);
  impl_->next_resolution = resolution;
  impl_->opt.resolution = resolution;
}
std::optional<Batch> Loader::next() { return impl_->next(); }
int64_t Loader::batches_per_epoch() const {
  return static_cast<int64_t>(batches_per_rank(impl_->order_size(), impl_->order_options(0)));
}
int64_t Loader::num_samples() const { return static_cast<int64_t>(impl_->source->num_samples()); }
int64_t Loader::num_classes() const { return impl_->num_classes; }
const LoaderOptions& Loader::options() const { return impl_->opt; }
int Loader::num_threads() const { return static_cast<int>(impl_->threads.size()); }
uint64_t Loader::scratch_reallocations() const { return impl_->scratch_reallocations(); }
uint64_t Loader::samples_decoded() const { return impl_->decoded.load(); }
int64_t Loader::buffer_allocations() const { return impl_->buffers.allocations(); }
bool Loader::pinned() const { return impl_->buffers.pinned(); }
uint64_t Loader::skipped_samples() const { return impl_->skipped.load(); }
std::vector<std::string> Loader::problems() const {
  std::lock_guard lk(impl_->problems_mu);
  return impl_->problems;
}
const Source& Loader::source() const { return *impl_->source; }
void Loader::set_copy_fence_factory(const CopyFenceFactory& factory) {
  impl_->wait_for_held_copies();
  std::unique_lock lk(impl_->mu);
  impl_->set_fences(factory);
}

}  // namespace fastimg::loader
