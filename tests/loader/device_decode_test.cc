// The GPU decode path (data.decode = gpu) run on the CPU: the loader threads only plan JPEG rows,
// a stand-in decoder (libjpeg-turbo, in place of nvJPEG) decodes whole images, and the same ATen
// crop/resize/flip/normalise code as on the GPU finishes the batch. It must equal the CPU loader's
// batches (same samples, crops and flips) within 2 levels before normalisation.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "augment/normalize.h"
#include "codec/crop_resize.h"
#include "codec/image.h"
#include "codec/jpeg_decoder.h"
#include "format/writer.h"
#include "loader/device_crop_resize.h"
#include "loader/device_jpeg_decoder.h"
#include "loader/device_stage.h"
#include "loader/loader.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::loader {
namespace {

std::vector<std::string> sample_files() {
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(testing::shared_dir() / "data/imagenet-sample"))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

void write_file(const std::string& out, size_t count, double jpeg_fraction) {
  const auto files = sample_files();
  format::LabeledImageSource src;
  src.size = count;
  src.name = [files](size_t i) { return files[i % files.size()]; };
  src.load = [files](size_t i) { return codec::load_image_file(files[i % files.size()]); };
  src.label = [](size_t i) { return static_cast<int64_t>(i % 7); };
  format::WriterOptions o;
  o.workers = 2;
  o.seed = 3;
  o.max_resolution = 160;
  o.jpeg_fraction = jpeg_fraction;
  ASSERT_EQ(format::write_images(src, out, o).written, count);
}

// Per image, the mean absolute difference in 0..255 levels of two normalised [N, 3, H, W] batches.
std::vector<double> level_differences(const torch::Tensor& a, const torch::Tensor& b) {
  const auto& s = augment::kImageNetStd255;
  auto std255 = torch::tensor({s[0], s[1], s[2]}).view({1, 3, 1, 1});
  auto levels = ((a.to(torch::kFloat) - b.to(torch::kFloat)).abs() * std255).mean({1, 2, 3});
  return std::vector<double>(levels.data_ptr<float>(), levels.data_ptr<float>() + levels.numel());
}

LoaderOptions options(const std::string& path, DecodeBackend decode) {
  LoaderOptions o;
  o.path = path;
  o.batch_size = 12;
  o.threads = 2;
  o.resolution = 96;
  o.seed = 11;
  o.decode = decode;
  return o;
}

// The exact CPU pipeline for a deferred row: libjpeg-turbo at full resolution (no DCT scaling),
// then codec::crop_resize, as uint8 [H, W, 3].
torch::Tensor cpu_reference(const DeferredImage& d, int resolution) {
  codec::JpegDecoder decoder;
  decoder.set_dct_scaling(false);
  auto out = torch::empty({resolution, resolution, 3}, torch::kUInt8);
  decoder.decode_crop_resize(d.jpeg, d.crop, resolution, resolution, d.flip, out.data_ptr<uint8_t>(), size_t(resolution) * 3);
  return out;
}

double mean_abs_levels(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().mean().item<double>();
}

struct EpochComparison {
  int64_t deferred = 0;
  double worst_exact = 0;         // device rows vs the exact CPU pipeline, worst per image
  double mean_vs_loader = 0;      // device batches vs the CPU loader's (DCT-scaled) batches
};

// Runs one epoch of `path` through the CPU loader and the deferred (device-decode) loader: same
// labels, every deferred row within 2 levels of the exact CPU pipeline, and the batches as a whole
// close to the CPU loader's.
EpochComparison compare_epoch(const std::string& path) {
  const LoaderOptions o = options(path, DecodeBackend::kCpu);
  Loader cpu(o);
  Loader dev(options(path, DecodeBackend::kDevice));
  DeviceStage plain(torch::kCPU, false);
  DeviceStage decoding(torch::kCPU, false, torch::kFloat, make_host_jpeg_decoder());
  EpochComparison r;
  double sum_vs_loader = 0;
  int64_t batches = 0;
  cpu.start_epoch(2);
  dev.start_epoch(2);
  while (auto a = cpu.next()) {
    auto b = dev.next();
    EXPECT_TRUE(b.has_value());
    if (!b) break;
    EXPECT_TRUE(a->deferred.empty());
    r.deferred += static_cast<int64_t>(b->deferred.size());
    const DeviceBatch x = plain.stage(*a), y = decoding.stage(*b);  // stage() writes the rows into b->images
    EXPECT_TRUE(torch::equal(x.target, y.target)) << "batch " << batches;
    for (const auto& d : b->deferred) {
      const double mad = mean_abs_levels(b->images[d.index], cpu_reference(d, o.resolution));
      r.worst_exact = std::max(r.worst_exact, mad);
      EXPECT_LT(mad, 2.0) << "batch " << batches << " sample " << d.sample;
    }
    for (double v : level_differences(x.input, y.input)) sum_vs_loader += v;
    batches += 1;
  }
  EXPECT_FALSE(dev.next().has_value());
  EXPECT_GT(batches, 0);
  r.mean_vs_loader = sum_vs_loader / static_cast<double>(batches * o.batch_size);
  return r;
}

class DeviceDecodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_file(jpeg_path(), 48, 1.0);
    write_file(mixed_path(), 48, 0.5);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string jpeg_path() { return (*dir_ / "jpeg.beton").string(); }
  static std::string mixed_path() { return (*dir_ / "mixed.beton").string(); }
  static inline testing::TempDir* dir_ = nullptr;
};

TEST_F(DeviceDecodeTest, DeferredJpegBatchesEqualTheCpuPipelineWithinTwoLevels) {
  const EpochComparison r = compare_epoch(jpeg_path());
  EXPECT_EQ(r.deferred, 48);  // every row of every batch went to the device decoder
  // The CPU loader decodes large crops at a reduced DCT scale: close, not equal.
  EXPECT_LT(r.mean_vs_loader, 2.0);
  std::cout << "device path vs exact CPU pipeline: worst image " << r.worst_exact
            << " levels; vs the CPU loader's DCT-scaled batches: mean " << r.mean_vs_loader << " levels\n";
}

TEST_F(DeviceDecodeTest, RawSamplesStayOnTheLoaderThreads) {
  const EpochComparison r = compare_epoch(mixed_path());
  EXPECT_GT(r.deferred, 0);
  EXPECT_LT(r.deferred, 48);
  EXPECT_LT(r.mean_vs_loader, 2.0);
}

TEST_F(DeviceDecodeTest, SameDeferredPlansForAnyThreadCount) {
  auto plans = [&](int threads) {
    LoaderOptions o = options(jpeg_path(), DecodeBackend::kDevice);
    o.threads = threads;
    Loader l(o);
    l.start_epoch(0);
    std::vector<std::tuple<int64_t, uint64_t, int, int, int, int, bool>> out;
    while (auto b = l.next())
      for (const auto& d : b->deferred) out.emplace_back(d.index, d.sample, d.crop.x, d.crop.y, d.crop.width, d.crop.height, d.flip);
    return out;
  };
  EXPECT_EQ(plans(1), plans(3));
}

TEST_F(DeviceDecodeTest, ADeferredBatchWithoutADecoderIsAnError) {
  Loader dev(options(jpeg_path(), DecodeBackend::kDevice));
  dev.start_epoch(0);
  auto b = dev.next();
  ASSERT_TRUE(b.has_value());
  DeviceStage stage(torch::kCPU, false);
  try {
    stage.stage(*b);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.decode = gpu"), std::string::npos) << e.what();
  }
}

TEST_F(DeviceDecodeTest, AutoMustBeResolvedBeforeTheLoader) {
  EXPECT_THROW(Loader(options(jpeg_path(), DecodeBackend::kAuto)), Error);
}

TEST(DeviceCrop, MatchesTheCpuCropResizeWithinTwoLevelsForShrinksGrowsAndEdges) {
  const auto files = sample_files();
  for (size_t f = 0; f < 12; ++f) {
    const codec::Image image = codec::load_image_file(files[f]);
    auto tensor = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8);
    const int w = image.width, h = image.height;
    // A crop per edge of the image (and a small one, which the output grows), alternate flips.
    const std::vector<codec::Rect> crops = {{0, 0, w / 2, h / 2},         {w - w / 3, 0, w / 3, h / 2},
                                            {0, h - h / 2, w * 3 / 4, h / 2}, {w / 4, h / 4, w / 2, h - h / 4},
                                            {0, 0, w, h},                 {w / 3, h / 3, 40, 30}};
    for (size_t k = 0; k < crops.size(); ++k) {
      const int out = k % 2 == 0 ? 64 : 96;
      const bool flip = (f + k) % 2 == 1;
      std::vector<uint8_t> expected(size_t(out) * out * 3);
      const bool below_2x = crops[k].width < 2 * out && crops[k].height < 2 * out;
      if (below_2x)  // the CPU JPEG path's choice (bilinear below 2x, area above)
        codec::resize_linear(image.view(), crops[k], out, out, flip, expected.data(), size_t(out) * 3);
      else
        codec::crop_resize(image.view(), crops[k], out, out, flip, expected.data(), size_t(out) * 3);
      auto got = torch::empty({out, out, 3}, torch::kUInt8);
      crop_resize_into(tensor, crops[k], flip, got);
      auto ref = torch::from_blob(expected.data(), {out, out, 3}, torch::kUInt8);
      const double mad = (got.to(torch::kFloat) - ref.to(torch::kFloat)).abs().mean().item<double>();
      EXPECT_LT(mad, 2.0) << files[f] << " crop " << k;
    }
  }
}

TEST(DeviceCrop, ACropOutsideTheImageIsAnError) {
  auto image = torch::zeros({10, 20, 3}, torch::kUInt8);
  auto dst = torch::empty({4, 4, 3}, torch::kUInt8);
  EXPECT_THROW(crop_resize_into(image, {15, 0, 10, 5}, false, dst), Error);
  EXPECT_THROW(crop_resize_into(torch::zeros({10, 20, 4}, torch::kUInt8), {0, 0, 5, 5}, false, dst), Error);
}

TEST(DeviceStageCpu, LabelsAreOwnedNotViewsOfTheLoadersSlot) {
  Batch b{torch::zeros({2, 4, 4, 3}, torch::kUInt8), torch::tensor({3, 4}, torch::kLong), nullptr, {}};
  DeviceStage stage(torch::kCPU, true, torch::kBFloat16);
  const DeviceBatch out = stage.stage(b);
  b.labels.fill_(0);
  EXPECT_EQ(out.target[0].item<int64_t>(), 3);
  EXPECT_TRUE(out.input.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_EQ(out.input.scalar_type(), torch::kBFloat16);
}

}  // namespace
}  // namespace fastimg::loader
