// Interop with the reference implementation: files written by the ffcv package read with fastimg,
// and fastimg's files read by ffcv's Loader (tests/python/ffcv_interop.py). Skipped only when the
// ffcv package cannot be imported.
#include <gtest/gtest.h>

#include <cstdlib>

#include "format/reader.h"
#include "format/test_folders.h"
#include "format/writer.h"

namespace fastimg::format {
namespace {

constexpr int kSize = 32;

// The formula tests/python/ffcv_interop.py uses.
codec::Image expected(int64_t i) {
  codec::Image img;
  img.resize(kSize, kSize);
  for (int y = 0; y < kSize; ++y)
    for (int x = 0; x < kSize; ++x) {
      uint8_t* p = img.pixels.data() + (y * kSize + x) * 3;
      p[0] = static_cast<uint8_t>(x * 8), p[1] = static_cast<uint8_t>(y * 8), p[2] = static_cast<uint8_t>(20 * i % 256);
    }
  return img;
}

#define SKIP_WITHOUT_FFCV()                                                                              \
  do {                                                                                                   \
    const char* py = std::getenv("FASTIMG_PYTHON");                                                      \
    auto r = fastimg::testing::run_command(std::string(py && *py ? py : "python3") + " -c 'import ffcv'"); \
    if (r.exit_code != 0) GTEST_SKIP() << "the ffcv package cannot be imported: " << r.output;          \
  } while (0)

TEST(FfcvInterop, FilesWrittenByFfcvReadBackExactlyOrWithinJpegTolerance) {
  SKIP_WITHOUT_FFCV();
  fastimg::testing::TempDir tmp;
  fastimg::testing::run_python("ffcv_interop.py", "write " + (tmp / "ffcv").string() + " 20");
  for (std::string mode : {"raw", "jpg"}) {
    std::string path = (tmp / ("ffcv-" + mode + ".beton")).string();
    Reader r(path);
    ASSERT_EQ(r.num_samples(), 20u);
    const int image = r.field_index("image"), label = r.field_index("label");
    for (uint64_t s = 0; s < r.num_samples(); ++s) {
      auto want = expected(r.int_value(s, label));
      ImageMeta m = r.image_meta(s, image);
      ASSERT_EQ(m.width, kSize);
      ASSERT_EQ(m.height, kSize);
      auto data = r.image_data(s, image);
      if (mode == "raw") {
        ASSERT_EQ(m.mode, 1);
        ASSERT_TRUE(std::equal(data.begin(), data.end(), want.pixels.begin(), want.pixels.end())) << s;
      } else {
        ASSERT_EQ(m.mode, 0);
        auto got = codec::decode_image(data, path);
        EXPECT_LT(fastimg::testing::mean_abs_diff(got.pixels.data(), want.pixels.data(), want.pixels.size()), 3.0);
      }
    }
  }
}

TEST(FfcvInterop, FilesWrittenByFastimgLoadInFfcv) {
  SKIP_WITHOUT_FFCV();
  fastimg::testing::TempDir tmp;
  LabeledImageSource source;
  source.size = 40;
  source.name = [](size_t i) { return std::to_string(i); };
  source.load = [](size_t i) { return expected(static_cast<int64_t>(i)); };
  source.label = [](size_t i) { return static_cast<int64_t>(i); };
  WriterOptions o;
  o.jpeg_fraction = 0.5;
  o.jpeg_quality = 95;
  o.page_size = 1 << 16;  // several pages
  std::string path = (tmp / "fastimg.beton").string();
  write_images(source, path, o);
  auto r = fastimg::testing::run_python("ffcv_interop.py", "read " + path + " 40");
  EXPECT_NE(r.output.find("ffcv read 40 samples"), std::string::npos) << r.output;
}

// Source JPEGs stored as their own bytes (passthrough), with restart markers and 4:4:4/4:2:2/4:2:0
// sampling, as a camera or another encoder would leave them: FFCV's decoder reads them all.
TEST(FfcvInterop, PassedThroughJpegsWithRestartMarkersLoadInFfcv) {
  SKIP_WITHOUT_FFCV();
  fastimg::testing::TempDir tmp;
  LabeledImageSource source;
  source.size = 40;
  source.name = [](size_t i) { return std::to_string(i); };
  source.read = [](size_t i) {
    fastimg::testing::JpegSpec spec;
    spec.restart_interval = static_cast<int>(i % 3);
    spec.luma_h = i % 2 == 0 ? 1 : 2;
    spec.luma_v = i % 4 == 1 ? 2 : 1;
    return fastimg::testing::libjpeg_encode(expected(static_cast<int64_t>(i)), spec);
  };
  source.label = [](size_t i) { return static_cast<int64_t>(i); };
  WriterOptions o;
  o.page_size = 1 << 16;
  o.restart_interval = 4;  // the sources without restart markers get them, losslessly
  std::string path = (tmp / "passthrough.beton").string();
  EXPECT_EQ(write_images(source, path, o).passthrough, 40u);
  auto r = fastimg::testing::run_python("ffcv_interop.py", "read " + path + " 40");
  EXPECT_NE(r.output.find("ffcv read 40 samples"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fastimg::format
