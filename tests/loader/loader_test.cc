#include "loader/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "augment/center_crop.h"
#include "augment/pipelines.h"
#include "codec/crop_resize.h"
#include "codec/image.h"
#include "format/reader.h"
#include "format/writer.h"
#include "bench/loader/library/loader_bench.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

// Writes `count` of the sample JPEGs (cycled) with labels i % 10 to a .beton file.
void write_sample_file(const std::string& out, size_t count, double jpeg_fraction, int max_res) {
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(testing::shared_dir() / "data/imagenet-sample"))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  format::LabeledImageSource src;
  src.size = count;
  src.name = [files](size_t i) { return files[i % files.size()]; };
  src.load = [files](size_t i) { return codec::load_image_file(files[i % files.size()]); };
  src.label = [](size_t i) { return static_cast<int64_t>(i % 10); };
  format::WriterOptions o;
  o.page_size = 1u << 18;
  o.workers = 2;
  o.seed = 1;
  o.max_resolution = max_res;
  o.jpeg_fraction = jpeg_fraction;
  auto report = format::write_images(src, out, o);
  ASSERT_EQ(report.written, count);
}

class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_sample_file(jpeg_path(), 70, 1.0, 160);
    write_sample_file(raw_path(), 24, 0.0, 96);
    write_sample_file(mixed_path(), 48, 0.5, 128);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string jpeg_path() { return (*dir_ / "jpeg.beton").string(); }
  static std::string raw_path() { return (*dir_ / "raw.beton").string(); }
  static std::string mixed_path() { return (*dir_ / "mixed.beton").string(); }

  static LoaderOptions options(const std::string& path, int threads) {
    LoaderOptions o;
    o.path = path;
    o.batch_size = 16;
    o.threads = threads;
    o.resolution = 64;
    o.seed = 123;
    o.batches_ahead = 2;
    return o;
  }
  static std::vector<Batch> epoch(Loader& loader, int64_t e) {
    std::vector<Batch> out;
    loader.start_epoch(e);
    while (auto b = loader.next()) out.push_back({b->images.clone(), b->labels.clone(), nullptr, {}});
    return out;
  }

  static inline testing::TempDir* dir_ = nullptr;
};

TEST_F(LoaderTest, SameSeedSameBatchesForOneTwoAndFourThreads) {
  for (OrderKind kind : {OrderKind::kRandom, OrderKind::kQuasiRandom}) {
    auto o = options(mixed_path(), 1);
    o.order = kind;
    Loader one(o);
    o.threads = 2;
    Loader two(o);
    o.threads = 4;
    Loader four(o);
    auto a = epoch(one, 0), b = epoch(two, 0), c = epoch(four, 0);
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), c.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
      EXPECT_TRUE(torch::equal(a[i].images, c[i].images)) << "batch " << i;
      EXPECT_TRUE(torch::equal(a[i].labels, c[i].labels));
    }
    auto next = epoch(one, 1);
    EXPECT_FALSE(torch::equal(a[0].images, next[0].images)) << "epoch 1 repeats epoch 0";
  }
}

TEST_F(LoaderTest, LabelsMatchTheFileAndShapesAreNhwcUint8) {
  auto o = options(jpeg_path(), 2);
  o.order = OrderKind::kSequential;
  o.drop_last = false;
  Loader loader(o);
  format::Reader reader(jpeg_path());
  EXPECT_EQ(loader.num_samples(), 70);
  EXPECT_EQ(loader.num_classes(), 10);
  auto batches = epoch(loader, 0);
  int64_t i = 0;
  for (auto& b : batches) {
    EXPECT_EQ(b.images.scalar_type(), torch::kUInt8);
    EXPECT_EQ(b.images.sizes(), (std::vector<int64_t>{b.labels.size(0), 64, 64, 3}));
    EXPECT_EQ(b.labels.scalar_type(), torch::kInt64);
    for (int64_t k = 0; k < b.labels.size(0); ++k, ++i)
      EXPECT_EQ(b.labels[k].item<int64_t>(), reader.int_value(i, reader.field_index("label")));
  }
  EXPECT_EQ(i, 70);
}

TEST_F(LoaderTest, DropLastControlsTheShortBatch) {
  auto o = options(jpeg_path(), 2);
  Loader dropping(o);
  EXPECT_EQ(dropping.batches_per_epoch(), 4);
  auto a = epoch(dropping, 0);
  ASSERT_EQ(a.size(), 4u);
  for (auto& b : a) EXPECT_EQ(b.images.size(0), 16);
  o.drop_last = false;
  Loader keeping(o);
  EXPECT_EQ(keeping.batches_per_epoch(), 5);
  auto k = epoch(keeping, 0);
  ASSERT_EQ(k.size(), 5u);
  EXPECT_EQ(k.back().images.size(0), 6);
  EXPECT_EQ(k.back().labels.size(0), 6);
}

TEST_F(LoaderTest, IndicesRestrictTheEpochToThatSubset) {
  auto o = options(jpeg_path(), 2);
  o.order = OrderKind::kRandom;
  o.drop_last = false;
  for (uint64_t i = 0; i < 70; i += 3) o.indices.push_back(i);  // 24 samples
  Loader loader(o);
  EXPECT_EQ(loader.batches_per_epoch(), 2);
  format::Reader reader(jpeg_path());
  const size_t label_field = reader.field_index("label");
  std::multiset<int64_t> expected, seen;
  for (uint64_t i : o.indices) expected.insert(reader.int_value(i, label_field));
  for (auto& b : epoch(loader, 0))
    for (int64_t k = 0; k < b.labels.size(0); ++k) seen.insert(b.labels[k].item<int64_t>());
  EXPECT_EQ(seen, expected);
  // Sequential over the subset is the subset in order; the crops equal those of the whole file's epoch.
  o.order = OrderKind::kSequential;
  o.indices = {5, 6, 7};
  o.batch_size = 3;
  Loader subset(o);
  auto whole_options = options(jpeg_path(), 2);
  whole_options.order = OrderKind::kSequential;
  whole_options.batch_size = 1;
  whole_options.transforms = augment::val_transforms();
  o.transforms = augment::val_transforms();
  Loader subset_val(o), whole(whole_options);
  auto sub = epoch(subset_val, 0), all = epoch(whole, 0);
  ASSERT_EQ(sub.size(), 1u);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(sub[0].images[k], all[5 + k].images[0])) << k;
  o.indices = {70};
  EXPECT_THROW(
      {
        try {
          Loader bad(o);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("indices[0] = 70 is not a sample (the file has 70)"), std::string::npos)
              << e.what();
          throw;
        }
      },
      Error);
}

TEST_F(LoaderTest, ShardedRanksGetEqualBatchCounts) {
  for (int world : {2, 3}) {
    int64_t expected = -1;
    for (int r = 0; r < world; ++r) {
      auto o = options(jpeg_path(), 2);
      o.rank = r;
      o.world_size = world;
      o.drop_last = false;
      Loader loader(o);
      auto b = epoch(loader, 0);
      if (expected < 0) expected = static_cast<int64_t>(b.size());
      EXPECT_EQ(static_cast<int64_t>(b.size()), expected);
      EXPECT_EQ(loader.batches_per_epoch(), expected);
    }
  }
}

TEST_F(LoaderTest, ResolutionChangesBetweenEpochsWithoutGrowingBuffers) {
  auto o = options(jpeg_path(), 2);
  o.resolution = 96;
  Loader loader(o);
  auto a = epoch(loader, 0);
  EXPECT_EQ(a[0].images.size(1), 96);
  EXPECT_EQ(loader.buffer_allocations(), 1);
  loader.set_resolution(64);
  auto b = epoch(loader, 1);
  EXPECT_EQ(b[0].images.sizes(), (std::vector<int64_t>{16, 64, 64, 3}));
  loader.set_resolution(80);
  auto c = epoch(loader, 2);
  EXPECT_EQ(c[0].images.size(2), 80);
  EXPECT_EQ(loader.buffer_allocations(), 1);
  loader.set_resolution(128);
  auto d = epoch(loader, 3);
  EXPECT_EQ(d[0].images.size(1), 128);
  EXPECT_EQ(loader.buffer_allocations(), 2);
}

TEST_F(LoaderTest, ValPipelineOnRawSamplesEqualsCenterCropReference) {
  auto o = options(raw_path(), 3);
  o.order = OrderKind::kSequential;
  o.transforms = augment::val_transforms();
  o.batch_size = 8;
  Loader loader(o);
  format::Reader reader(raw_path());
  const int field = reader.field_index("image");
  auto batches = epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  std::vector<uint8_t> ref(64 * 64 * 3);
  for (int64_t i = 0; i < 24; ++i) {
    auto m = reader.image_meta(i, field);
    ASSERT_EQ(m.mode, static_cast<uint8_t>(format::ImageMode::kRaw));
    auto bytes = reader.image_data(i, field);
    codec::crop_resize({bytes.data(), m.width, m.height, size_t{m.width} * 3}, augment::center_crop(m.width, m.height),
                       64, 64, false, ref.data(), 64 * 3);
    auto got = batches[i / 8].images[i % 8].contiguous();
    ASSERT_EQ(0, std::memcmp(got.data_ptr<uint8_t>(), ref.data(), ref.size())) << "sample " << i;
  }
  // Val is deterministic and has no flips: two epochs agree.
  auto again = epoch(loader, 5);
  EXPECT_TRUE(torch::equal(batches[0].images, again[0].images));
}

// A transform defined here, not in the loader: the right half of the image, mirrored. The loader
// applies whatever transforms its options list, so its batches equal that crop of each sample.
class RightHalfMirrored final : public augment::Transform {
 public:
  void apply(augment::SamplePlan& plan, Rng&) const override {
    plan.crop = {plan.crop.x + plan.crop.width / 2, plan.crop.y, plan.crop.width - plan.crop.width / 2, plan.crop.height};
    plan.flip = true;
  }
  std::string name() const override { return "right_half_mirrored"; }
};

TEST_F(LoaderTest, AppliesATransformDefinedOutsideTheLoader) {
  auto o = options(raw_path(), 2);
  o.order = OrderKind::kSequential;
  o.transforms = {std::make_shared<RightHalfMirrored>()};
  o.batch_size = 8;
  Loader loader(o);
  format::Reader reader(raw_path());
  const int field = reader.field_index("image");
  auto batches = epoch(loader, 0);
  std::vector<uint8_t> ref(64 * 64 * 3);
  for (int64_t i = 0; i < 24; ++i) {
    auto m = reader.image_meta(i, field);
    auto bytes = reader.image_data(i, field);
    const codec::Rect half{m.width / 2, 0, m.width - m.width / 2, m.height};
    codec::crop_resize({bytes.data(), m.width, m.height, size_t{m.width} * 3}, half, 64, 64, true, ref.data(), 64 * 3);
    auto got = batches[i / 8].images[i % 8].contiguous();
    ASSERT_EQ(0, std::memcmp(got.data_ptr<uint8_t>(), ref.data(), ref.size())) << "sample " << i;
  }
}

// A transform that plans a crop outside the image is an error naming the transform and the sample.
class OutOfBounds final : public augment::Transform {
 public:
  void apply(augment::SamplePlan& plan, Rng&) const override { plan.crop.width += 1; }
  std::string name() const override { return "out_of_bounds"; }
};

TEST_F(LoaderTest, ATransformPlanningOutsideTheImageIsAnErrorNamingIt) {
  auto o = options(raw_path(), 2);
  o.transforms = {std::make_shared<OutOfBounds>()};
  o.strict = true;
  Loader loader(o);
  loader.start_epoch(0);
  try {
    loader.next();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out_of_bounds"), std::string::npos) << e.what();
  }
}

// A device copy that stays in flight until the test completes it (what a GPU's DMA from pinned
// memory looks like to the host): the hazard is injected, so it is tested without a GPU.
class PendingCopies final : public CopyFence {
 public:
  void copies_queued(const torch::Device&) override {
    std::lock_guard lk(mu_);
    pending_ = true;
  }
  void wait() override {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !pending_; });
  }
  void complete() {
    {
      std::lock_guard lk(mu_);
      pending_ = false;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
};

TEST_F(LoaderTest, ASlotIsNotRefilledWhileADeviceCopyFromItIsInFlight) {
  auto o = options(jpeg_path(), 2);
  o.order = OrderKind::kSequential;
  o.batch_size = 4;
  o.batches_ahead = 1;  // two slots: batch 2 goes into batch 0's slot
  Loader loader(o);
  loader.set_copy_fence_factory([] { return std::make_shared<PendingCopies>(); });
  loader.start_epoch(0);
  auto b0 = loader.next();
  ASSERT_TRUE(b0);
  const torch::Tensor before = b0->images.clone();
  b0->fence->copies_queued(torch::kCPU);  // the consumer queued its copy; it has not completed
  std::atomic<bool> got_next{false};
  std::thread consumer([&] {
    auto b1 = loader.next();  // (gradient accumulation: the next micro-batch right away)
    got_next = b1.has_value();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(got_next) << "the slot was handed back while its copy was in flight";
  EXPECT_TRUE(torch::equal(b0->images, before)) << "batch 0's pinned memory was overwritten during its copy";
  static_cast<PendingCopies&>(*b0->fence).complete();
  consumer.join();
  EXPECT_TRUE(got_next);
  // Without copies queued (CPU consumers) next() never waits.
  auto b2 = loader.next();
  EXPECT_TRUE(b2);
}

TEST_F(LoaderTest, SteadyStateHasNoScratchReallocations) {
  auto o = options(mixed_path(), 2);
  Loader loader(o);
  epoch(loader, 0);
  epoch(loader, 1);
  EXPECT_EQ(loader.scratch_reallocations(), 0u);
  EXPECT_EQ(loader.buffer_allocations(), 1);
}

TEST_F(LoaderTest, BatchIsAViewOfALoaderBuffer) {
  auto o = options(jpeg_path(), 2);
  Loader loader(o);
  loader.start_epoch(0);
  std::vector<const void*> ptrs;
  while (auto b = loader.next()) ptrs.push_back(b->images.data_ptr());
  std::sort(ptrs.begin(), ptrs.end());
  ptrs.erase(std::unique(ptrs.begin(), ptrs.end()), ptrs.end());
  EXPECT_LE(ptrs.size(), 3u);  // batches_ahead + 1 slots, reused
  loader.start_epoch(1);
  auto b = loader.next();
  EXPECT_TRUE(std::find(ptrs.begin(), ptrs.end(), b->images.data_ptr()) != ptrs.end());
}

TEST_F(LoaderTest, RestartingMidEpochAndErrorsAreClean) {
  auto o = options(jpeg_path(), 3);
  Loader loader(o);
  loader.start_epoch(0);
  loader.next();
  loader.start_epoch(0);  // abandons the running epoch
  auto full = epoch(loader, 0);
  EXPECT_EQ(full.size(), 4u);
  LoaderOptions bad = options((*dir_ / "missing.beton").string(), 1);
  EXPECT_THROW(Loader{bad}, Error);
}

TEST_F(LoaderTest, BenchReportsRatesAndTable) {
  LoaderBenchOptions o;
  o.path = mixed_path();
  o.resolution = 32;
  o.threads = 2;
  o.batch_size = 8;
  o.batches = 4;
  o.warmup_batches = 1;
  LoaderBenchResult r = run_loader_bench(o);
  EXPECT_EQ(r.images, 32);
  EXPECT_EQ(r.threads, 2);
  EXPECT_GT(r.images_per_s, 0);
  EXPECT_GT(r.decode_limit_images_per_s, 0);
  EXPECT_NEAR(r.decode_limit_images_per_s, 2 * r.single_core_decode_images_per_s, 1e-6);
  EXPECT_GT(r.naive_images_per_s, 0);
  EXPECT_GT(r.jpeg_fraction, 0.2);
  EXPECT_LT(r.jpeg_fraction, 0.8);
  std::string table = bench_table(o, r);
  EXPECT_NE(table.find("decode limit"), std::string::npos) << table;
  EXPECT_NE(table.find("naive"), std::string::npos) << table;
}

}  // namespace
}  // namespace fastimg::loader

namespace fastimg::loader {
namespace {

// A resume inside an epoch starts at its batch: the same batches as reading from the start and
// dropping the first ones, and nothing before it decoded (time to the first batch does not grow
// with the position).
TEST_F(LoaderTest, StartingAnEpochAtABatchSkipsWithoutDecoding) {
  Loader whole(options(jpeg_path(), 2));
  const auto all = epoch(whole, 1);
  ASSERT_GE(all.size(), 4u);
  for (int64_t first : {int64_t{1}, static_cast<int64_t>(all.size()) - 1}) {
    Loader resumed(options(jpeg_path(), 2));
    resumed.start_epoch(1, first);
    auto b = resumed.next();
    ASSERT_TRUE(b.has_value());
    const uint64_t decoded = resumed.samples_decoded();
    const uint64_t slots = static_cast<uint64_t>(resumed.options().batches_ahead + 1) * resumed.options().batch_size;
    EXPECT_LE(decoded, slots) << "resumed at " << first;
    EXPECT_TRUE(torch::equal(b->images, all[first].images)) << "resumed at " << first;
    EXPECT_TRUE(torch::equal(b->labels, all[first].labels));
    int64_t rest = 1;
    while (resumed.next()) ++rest;
    EXPECT_EQ(first + rest, static_cast<int64_t>(all.size()));
  }
  Loader past_the_end(options(jpeg_path(), 2));
  past_the_end.start_epoch(1, 1000);
  EXPECT_FALSE(past_the_end.next().has_value());
  EXPECT_THROW(past_the_end.start_epoch(1, -1), Error);
}

}  // namespace
}  // namespace fastimg::loader

namespace fastimg::loader {
namespace {

// With the global batch fixed, global step g holds the same samples, crops and flips however many
// ranks share it (rank r's batch g is items r, r + W, ... of the global order's slice g): what lets
// a run resume on another number of processes. The plans are read from deferred (device-decode)
// batches, which carry each row's sample, crop and flip.
TEST_F(LoaderTest, GlobalBatchesAreTheSameForOneTwoAndThreeRanks) {
  constexpr int kGlobalBatch = 12;
  using Plan = std::tuple<uint64_t, int, int, int, int, bool>;
  auto global_steps = [&](int world) {
    std::vector<std::vector<Plan>> steps;
    for (int rank = 0; rank < world; ++rank) {
      LoaderOptions o = options(jpeg_path(), 1);
      o.batch_size = kGlobalBatch / world;
      o.rank = rank;
      o.world_size = world;
      o.decode = DecodeBackend::kDevice;
      Loader l(o);
      l.start_epoch(4);
      for (size_t g = 0; auto b = l.next(); ++g) {
        if (steps.size() <= g) steps.resize(g + 1);
        for (const auto& d : b->deferred)
          steps[g].emplace_back(d.sample, d.crop.x, d.crop.y, d.crop.width, d.crop.height, d.flip);
      }
    }
    for (auto& s : steps) std::sort(s.begin(), s.end());
    return steps;
  };
  const auto one = global_steps(1);
  EXPECT_EQ(one.size(), 70u / kGlobalBatch);
  for (const auto& s : one) EXPECT_EQ(s.size(), static_cast<size_t>(kGlobalBatch));
  EXPECT_EQ(global_steps(2), one);
  EXPECT_EQ(global_steps(3), one);
}

}  // namespace
}  // namespace fastimg::loader
