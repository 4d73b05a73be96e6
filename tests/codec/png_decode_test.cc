// libpng decoding against OpenCV's imdecode (IMREAD_COLOR, the previous decoder and what FFCV's
// writer uses), for every kind of PNG; warnings stay off stderr; damage is an error naming the file.
#include "codec/png_decode.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <vector>

#include "util/error.h"

namespace fastimg::codec {
namespace {

std::vector<uint8_t> encode(const cv::Mat& m, std::vector<int> params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(".png", m, out, params));
  return out;
}

// OpenCV's reading of the same bytes, as RGB.
std::vector<uint8_t> opencv_rgb(const std::vector<uint8_t>& bytes) {
  cv::Mat bgr = cv::imdecode(bytes, cv::IMREAD_COLOR), rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return {rgb.data, rgb.data + rgb.total() * 3};
}

cv::Mat pattern(int type, int w, int h) {
  cv::Mat m(h, w, type);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255));
  return m;
}

TEST(DecodePng, EqualsOpenCvForEveryPixelFormat) {
  const struct {
    const char* name;
    cv::Mat image;
    std::vector<int> params;
  } cases[] = {
      {"rgb8", pattern(CV_8UC3, 37, 21), {}},
      {"rgba8", pattern(CV_8UC4, 37, 21), {}},
      {"gray8", pattern(CV_8UC1, 37, 21), {}},
      {"rgb16", pattern(CV_16UC3, 19, 11), {}},
      {"gray16", pattern(CV_16UC1, 19, 11), {}},
      {"gray1", pattern(CV_8UC1, 40, 9) > 127, {cv::IMWRITE_PNG_BILEVEL, 1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto bytes = encode(c.image, c.params);
    const Image img = decode_png(bytes, c.name);
    EXPECT_EQ(img.width, c.image.cols);
    EXPECT_EQ(img.height, c.image.rows);
    EXPECT_EQ(img.pixels, opencv_rgb(bytes));
  }
}

// An ancillary chunk with a bad CRC makes libpng warn; the image still decodes and nothing is
// printed beside fastimg's own messages.
TEST(DecodePng, LibpngWarningsDoNotReachStderr) {
  auto bytes = encode(pattern(CV_8UC3, 16, 16));
  // After the 8-byte signature and the 25-byte IHDR chunk: a tEXt chunk whose CRC is wrong.
  const std::vector<uint8_t> text = {0, 0, 0, 3, 't', 'E', 'X', 't', 'a', 0, 'b', 0xDE, 0xAD, 0xBE, 0xEF};
  bytes.insert(bytes.begin() + 33, text.begin(), text.end());
  ::testing::internal::CaptureStderr();
  const Image img = decode_png(bytes, "warned.png");
  const std::string printed = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "");
  EXPECT_EQ(img.width, 16);
}

TEST(DecodePng, DamageIsAnErrorNamingTheFile) {
  auto bytes = encode(pattern(CV_8UC3, 64, 64));
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2));
  try {
    decode_png(cut, "cut.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.png: corrupt PNG"), std::string::npos) << e.what();
  }
  auto flipped = bytes;
  flipped[20] ^= 0xFF;  // inside IHDR: a critical chunk's CRC no longer matches
  EXPECT_THROW(decode_png(flipped, "crc.png"), Error);
}

}  // namespace
}  // namespace fastimg::codec
