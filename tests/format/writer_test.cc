#include "format/writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "codec/jpeg_header.h"
#include "codec/restart_encode.h"
#include "format/reader.h"
#include "format/test_folders.h"
#include "util/error.h"

namespace fastimg::format {
namespace {

using fastimg::testing::TempDir;
namespace fs = std::filesystem;

WriterOptions small_options() {
  WriterOptions o;
  o.page_size = 1 << 18;
  o.max_resolution = 96;
  o.jpeg_fraction = 0.5;
  o.seed = 7;
  return o;
}

// In-memory source: image i is a pattern of size sizes[i], label = i.
LabeledImageSource pattern_source(std::vector<std::pair<int, int>> sizes) {
  auto shared = std::make_shared<std::vector<std::pair<int, int>>>(std::move(sizes));
  LabeledImageSource s;
  s.size = shared->size();
  s.name = [](size_t i) { return "pattern#" + std::to_string(i); };
  s.load = [shared](size_t i) {
    auto [w, h] = (*shared)[i];
    return fastimg::testing::pattern_image(w, h, static_cast<int>(i));
  };
  s.label = [](size_t i) { return static_cast<int64_t>(i); };
  return s;
}

TEST(WriteImages, SameSeedGivesIdenticalBytesForOneAndTwoWorkers) {
  TempDir tmp;
  auto folder = fastimg::testing::make_sample_folder(tmp, 4, 96);
  auto o = small_options();
  o.workers = 1;
  write_imagefolder(folder.string(), (tmp / "one.beton").string(), o);
  o.workers = 2;
  write_imagefolder(folder.string(), (tmp / "two.beton").string(), o);
  o.seed = 8;
  write_imagefolder(folder.string(), (tmp / "other.beton").string(), o);
  auto one = fastimg::testing::read_bytes((tmp / "one.beton").string());
  EXPECT_GT(one.size(), 0u);
  EXPECT_TRUE(one == fastimg::testing::read_bytes((tmp / "two.beton").string()));
  EXPECT_FALSE(one == fastimg::testing::read_bytes((tmp / "other.beton").string()));
}

TEST(WriteImages, FileFollowsTheFfcvLayout) {
  TempDir tmp;
  auto folder = fastimg::testing::make_sample_folder(tmp, 3, 60);
  auto o = small_options();
  auto report = write_imagefolder(folder.string(), (tmp / "d.beton").string(), o);
  auto bytes = fastimg::testing::read_bytes((tmp / "d.beton").string());
  ASSERT_EQ(report.written, 60u);
  ASSERT_EQ(report.bytes, bytes.size());

  Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.num_fields, 2);
  EXPECT_EQ(h.page_size, o.page_size);
  EXPECT_EQ(h.num_samples, 60u);
  EXPECT_EQ(bytes.size(), h.alloc_table_ptr + 60 * sizeof(AllocEntry));
  EXPECT_EQ(h.alloc_table_ptr % o.page_size, 0u);
  // Descriptors: image (2) then label (1), names NUL padded, arguments zero.
  EXPECT_EQ(bytes[24], 2);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[25])), "image");
  EXPECT_EQ(bytes[24 + 1041], 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[24 + 1041 + 1])), "label");
  for (size_t i = 0; i < 1024; ++i) ASSERT_EQ(bytes[24 + 17 + i], 0);
  const size_t meta_start = 24 + 2 * 1041;
  const uint64_t data_start = (meta_start + 60 * 24 + o.page_size - 1) / o.page_size * o.page_size;

  std::set<uint64_t> ids;
  for (size_t a = 0; a < 60; ++a) {
    AllocEntry e;
    std::memcpy(&e, bytes.data() + h.alloc_table_ptr + a * 24, 24);
    ids.insert(e.sample_id);
    EXPECT_GE(e.ptr, data_start);
    EXPECT_EQ(e.ptr / o.page_size, (e.ptr + e.size - 1) / o.page_size) << "allocation straddles a page";
    ImageMeta m;
    std::memcpy(&m, bytes.data() + meta_start + e.sample_id * 24, sizeof m);
    EXPECT_EQ(m.data_ptr, e.ptr);
    if (m.mode == 1) {
      EXPECT_EQ(e.size, uint64_t{m.width} * m.height * 3);
    } else {
      EXPECT_EQ(bytes[e.ptr], 0xFF);
    }
    EXPECT_LE(std::max(m.width, m.height), 96);
    for (size_t pad = 13; pad < 16; ++pad) EXPECT_EQ(bytes[meta_start + e.sample_id * 24 + pad], 0);
    int64_t label;
    std::memcpy(&label, bytes.data() + meta_start + e.sample_id * 24 + 16, 8);
    EXPECT_GE(label, 0);
    EXPECT_LT(label, 3);
  }
  EXPECT_EQ(ids.size(), 60u);
}

TEST(WriteImages, RawSamplesReadBackExactly) {
  TempDir tmp;
  std::vector<std::pair<int, int>> sizes;
  for (int i = 0; i < 40; ++i) sizes.emplace_back(20 + i, 30 + (i * 7) % 25);
  auto source = pattern_source(sizes);
  auto o = small_options();
  o.jpeg_fraction = 0.0;
  o.max_resolution = 0;
  auto report = write_images(source, (tmp / "raw.beton").string(), o);
  EXPECT_EQ(report.raw, 40u);
  Reader r((tmp / "raw.beton").string());
  const int image = r.field_index("image"), label = r.field_index("label");
  std::set<int64_t> labels;
  for (uint64_t s = 0; s < r.num_samples(); ++s) {
    int64_t i = r.int_value(s, label);
    labels.insert(i);
    auto expected = source.load(static_cast<size_t>(i));
    ImageMeta m = r.image_meta(s, image);
    ASSERT_EQ(m.mode, 1);
    ASSERT_EQ(m.width, expected.width);
    ASSERT_EQ(m.height, expected.height);
    auto data = r.image_data(s, image);
    ASSERT_TRUE(std::equal(data.begin(), data.end(), expected.pixels.begin(), expected.pixels.end()));
  }
  EXPECT_EQ(labels.size(), 40u);
  EXPECT_NE(r.int_value(0, label), 0) << "seeded shuffle should move sample 0 (seed 7)";
}

TEST(WriteImages, JpegSamplesDecodeWithinTolerance) {
  TempDir tmp;
  auto source = pattern_source({{64, 48}, {100, 80}, {33, 90}});
  auto o = small_options();
  o.jpeg_fraction = 1.0;
  o.max_resolution = 0;
  auto report = write_images(source, (tmp / "jpeg.beton").string(), o);
  EXPECT_EQ(report.jpeg, 3u);
  Reader r((tmp / "jpeg.beton").string());
  for (uint64_t s = 0; s < 3; ++s) {
    auto expected = source.load(static_cast<size_t>(r.int_value(s, 1)));
    auto decoded = codec::decode_image(r.image_data(s, 0), "sample");
    ASSERT_EQ(decoded.width, expected.width);
    EXPECT_LT(fastimg::testing::mean_abs_diff(decoded.pixels.data(), expected.pixels.data(), expected.pixels.size()), 3.0);
  }
}

TEST(WriteImages, JpegFractionIsAPerImageChoice) {
  TempDir tmp;
  std::vector<std::pair<int, int>> sizes(400, {8, 8});
  auto o = small_options();
  o.jpeg_fraction = 0.25;
  auto report = write_images(pattern_source(sizes), (tmp / "mix.beton").string(), o);
  EXPECT_EQ(report.jpeg + report.raw, 400u);
  EXPECT_GT(report.jpeg, 60u);
  EXPECT_LT(report.jpeg, 140u);
}

TEST(WriteImages, MaxResolutionShrinksTheLongestSideLikeFfcv) {
  TempDir tmp;
  auto source = pattern_source({{300, 200}, {50, 333}, {64, 64}, {1000, 3}});
  auto o = small_options();
  o.max_resolution = 64;
  o.jpeg_fraction = 0;
  o.shuffle = false;
  write_images(source, (tmp / "res.beton").string(), o);
  Reader r((tmp / "res.beton").string());
  auto ffcv = [](int w, int h) {
    double ratio = 64.0 / std::max(w, h);
    return ratio >= 1 ? std::pair{w, h} : std::pair{std::max(1, int(ratio * w)), std::max(1, int(ratio * h))};
  };
  std::vector<std::pair<int, int>> expected{ffcv(300, 200), ffcv(50, 333), {64, 64}, ffcv(1000, 3)};
  for (uint64_t s = 0; s < 4; ++s) {
    auto m = r.image_meta(s, 0);
    EXPECT_EQ(m.width, expected[s].first) << s;
    EXPECT_EQ(m.height, expected[s].second) << s;
  }
}

TEST(WriteImages, NoShuffleKeepsSourceOrder) {
  TempDir tmp;
  std::vector<std::pair<int, int>> sizes(20, {8, 8});
  auto o = small_options();
  o.shuffle = false;
  write_images(pattern_source(sizes), (tmp / "seq.beton").string(), o);
  Reader r((tmp / "seq.beton").string());
  for (uint64_t s = 0; s < 20; ++s) EXPECT_EQ(r.int_value(s, 1), static_cast<int64_t>(s));
}

TEST(WriteImages, EveryInputKindIsConvertedAndCorruptOnesAreSkipped) {
  TempDir tmp;
  auto mixed = fastimg::testing::make_mixed_folder(tmp);
  auto o = small_options();
  o.jpeg_fraction = 0;  // raw: check pixels are RGB
  auto report = write_imagefolder(mixed.root.string(), (tmp / "mixed.beton").string(), o);
  EXPECT_EQ(report.written, static_cast<uint64_t>(mixed.good));
  EXPECT_EQ(report.skipped, mixed.bad.size());
  ASSERT_EQ(report.errors.size(), mixed.bad.size());
  for (const auto& bad : mixed.bad) {
    bool named = false;
    for (const auto& e : report.errors) named |= e.rfind(bad, 0) == 0;
    EXPECT_TRUE(named) << bad << " not reported";
  }
  Reader r((tmp / "mixed.beton").string());
  EXPECT_EQ(r.num_samples(), static_cast<uint64_t>(mixed.good));
}

TEST(WriteImages, StrictModeFailsOnTheFirstCorruptImageAndLeavesNoFile) {
  TempDir tmp;
  auto mixed = fastimg::testing::make_mixed_folder(tmp);
  auto o = small_options();
  o.strict = true;
  std::string out = (tmp / "strict.beton").string();
  try {
    write_imagefolder(mixed.root.string(), out, o);
    FAIL() << "strict write succeeded";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).find("corrupt.jpg") != std::string::npos ||
                std::string(e.what()).find("truncated.jpg") != std::string::npos)
        << e.what();
  }
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(entry.path().filename().string().find("strict.beton"), std::string::npos) << entry.path();
}

TEST(WriteImages, SampleLargerThanAPageIsAClearError) {
  TempDir tmp;
  auto o = small_options();
  o.page_size = 4096;
  o.jpeg_fraction = 0;
  o.max_resolution = 0;
  std::string out = (tmp / "big.beton").string();
  try {
    write_images(pattern_source({{10, 10}, {100, 100}}), out, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pattern#1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("page"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(WriteImages, InvalidOptionsAreRejected) {
  TempDir tmp;
  auto src = pattern_source({{8, 8}});
  auto o = small_options();
  o.page_size = 5000;
  EXPECT_THROW(write_images(src, (tmp / "x.beton").string(), o), Error);
  o = small_options();
  o.jpeg_fraction = 1.5;
  EXPECT_THROW(write_images(src, (tmp / "x.beton").string(), o), Error);
}

TEST(WriteImages, SideCarRecordsTheWriteParameters) {
  TempDir tmp;
  auto o = small_options();
  write_images(pattern_source({{8, 8}, {9, 9}}), (tmp / "p.beton").string(), o);
  auto text = fastimg::testing::read_bytes((tmp / "p.beton.json").string());
  auto json = nlohmann::json::parse(text.begin(), text.end());
  EXPECT_EQ(json["seed"], 7);
  EXPECT_EQ(json["max_resolution"], 96);
  EXPECT_EQ(json["sources"].size(), 2u);
}

}  // namespace
}  // namespace fastimg::format

namespace fastimg::format {
namespace {

// Sample id -> its source path, from the side-car the writer leaves next to the file.
std::vector<std::string> sources_of(const std::string& beton) {
  auto text = fastimg::testing::read_bytes(beton + ".json");
  return nlohmann::json::parse(text.begin(), text.end())["sources"].get<std::vector<std::string>>();
}

TEST(WritePassthrough, QualifyingJpegsAreStoredAsTheirSourceBytesForAnyWorkerCount) {
  TempDir tmp;
  auto folder = fastimg::testing::make_sample_folder(tmp, 4, 48);
  auto o = small_options();
  o.jpeg_fraction = 1.0;
  o.max_resolution = 0;
  o.page_size = 1 << 22;
  o.workers = 1;
  const std::string one = (tmp / "one.beton").string(), two = (tmp / "two.beton").string();
  auto report = write_imagefolder(folder.string(), one, o);
  o.workers = 2;
  write_imagefolder(folder.string(), two, o);
  EXPECT_TRUE(fastimg::testing::read_bytes(one) == fastimg::testing::read_bytes(two));
  EXPECT_EQ(report.written, 48u);
  EXPECT_GT(report.passthrough, 40u);

  Reader r(one);
  const auto sources = sources_of(one);
  uint64_t identical = 0;
  for (uint64_t s = 0; s < r.num_samples(); ++s) {
    auto source = fastimg::testing::read_bytes(sources[s]);
    auto stored = r.image_data(s, 0);
    const bool qualifies = codec::passthrough_obstacle(codec::parse_jpeg_header(source)).empty();
    EXPECT_EQ(qualifies, std::equal(stored.begin(), stored.end(), source.begin(), source.end())) << sources[s];
    if (qualifies) {
      auto header = codec::parse_jpeg_header(source);
      const auto meta = r.image_meta(s, 0);
      const int width = meta.width, height = meta.height;
      EXPECT_EQ(width, header->width);
      EXPECT_EQ(height, header->height);
    }
    identical += qualifies;
  }
  EXPECT_EQ(identical, report.passthrough);
}

TEST(WritePassthrough, ReencodeAndMaxResolutionAndRawChoicesStillDecode) {
  TempDir tmp;
  auto folder = fastimg::testing::make_sample_folder(tmp, 2, 24);
  auto o = small_options();
  o.jpeg_fraction = 1.0;
  o.max_resolution = 0;
  o.page_size = 1 << 22;
  o.reencode = true;
  const std::string forced = (tmp / "forced.beton").string();
  EXPECT_EQ(write_imagefolder(folder.string(), forced, o).passthrough, 0u);
  Reader rf(forced);
  const auto forced_sources = sources_of(forced);
  for (uint64_t s = 0; s < rf.num_samples(); ++s) {
    auto stored = rf.image_data(s, 0);
    auto source = fastimg::testing::read_bytes(forced_sources[s]);
    EXPECT_FALSE(std::equal(stored.begin(), stored.end(), source.begin(), source.end())) << forced_sources[s];
  }

  // ImageNet's images are about 500 px: at --max-res 400 only those that already fit pass through.
  o.reencode = false;
  o.max_resolution = 400;
  const std::string limited = (tmp / "limited.beton").string();
  auto report = write_imagefolder(folder.string(), limited, o);
  Reader rl(limited);
  const auto sources = sources_of(limited);
  uint64_t fitting = 0;
  for (uint64_t s = 0; s < rl.num_samples(); ++s) {
    auto header = codec::parse_jpeg_header(fastimg::testing::read_bytes(sources[s]));
    ASSERT_TRUE(header.has_value());
    const auto meta = rl.image_meta(s, 0);
    const int width = meta.width, height = meta.height;
    EXPECT_LE(std::max(width, height), 400);
    fitting += std::max(header->width, header->height) <= 400 && codec::passthrough_obstacle(header).empty();
  }
  EXPECT_EQ(report.passthrough, fitting);
  EXPECT_LT(report.passthrough, report.written);

  o.max_resolution = 0;
  o.jpeg_fraction = 0;  // raw storage decodes the source
  EXPECT_EQ(write_imagefolder(folder.string(), (tmp / "raw.beton").string(), o).passthrough, 0u);
}

}  // namespace
}  // namespace fastimg::format

namespace fastimg::format {
namespace {

// --restart-interval: every stored JPEG can be cut by the loader; passed-through ones keep their
// pixels exactly (lossless re-wrap), re-encoded ones are written with markers directly.
TEST(WriteRestartMarkers, EveryStoredJpegHasRowTilingRestartIntervals) {
  TempDir tmp;
  auto folder = fastimg::testing::make_sample_folder(tmp, 2, 24);
  auto o = small_options();
  o.jpeg_fraction = 1.0;
  o.max_resolution = 500;  // some pass through, some are re-encoded
  o.page_size = 1 << 22;
  o.restart_interval = 4;
  const std::string out = (tmp / "rst.beton").string();
  auto report = write_imagefolder(folder.string(), out, o);
  EXPECT_GT(report.passthrough, 0u);
  EXPECT_LT(report.passthrough, report.written);
  Reader r(out);
  const auto sources = sources_of(out);
  for (uint64_t s = 0; s < r.num_samples(); ++s) {
    auto stored = r.image_data(s, 0);
    EXPECT_TRUE(codec::has_row_tiling_restarts(stored)) << sources[s];
    auto source = fastimg::testing::read_bytes(sources[s]);
    const auto header = codec::parse_jpeg_header(source);
    if (codec::passthrough_obstacle(header).empty() && std::max(header->width, header->height) <= 500) {
      const codec::Image a = codec::decode_image(source, sources[s]);
      const codec::Image b = codec::decode_image(stored, "stored");
      EXPECT_TRUE(a.pixels == b.pixels) << sources[s];
    }
  }
  o.restart_interval = -1;
  EXPECT_THROW(write_imagefolder(folder.string(), (tmp / "bad.beton").string(), o), Error);
}

}  // namespace
}  // namespace fastimg::format
