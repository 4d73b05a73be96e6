// parse_jpeg_header / passthrough_obstacle against streams made with libjpeg directly and the
// shared ImageNet sample: every stream they let through must decode to the size they report.
#include "codec/jpeg_header.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "codec/image.h"
#include "codec/test_images.h"
#include "test_support.h"

namespace fastimg::codec {
namespace {

using fastimg::testing::JpegSpec;
using fastimg::testing::libjpeg_encode;
using fastimg::testing::pattern_image;

std::string obstacle_of(const std::vector<uint8_t>& bytes) { return passthrough_obstacle(parse_jpeg_header(bytes)); }

TEST(JpegHeader, BaselineColourStreamsOfEverySamplingQualify) {
  const Image img = pattern_image(77, 45, 1);
  for (auto [h, v] : {std::pair{2, 2}, {2, 1}, {1, 1}}) {
    JpegSpec spec;
    spec.luma_h = h, spec.luma_v = v;
    auto bytes = libjpeg_encode(img, spec);
    auto header = parse_jpeg_header(bytes);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->width, 77);
    EXPECT_EQ(header->height, 45);
    EXPECT_EQ(header->components, 3);
    EXPECT_EQ(header->frame_marker, 0xC0);
    EXPECT_EQ(header->restart_interval, 0);
    EXPECT_TRUE(header->jfif);
    EXPECT_EQ(passthrough_obstacle(header), "") << h << "x" << v;
  }
}

TEST(JpegHeader, RestartMarkersInsideTheScanAreLegal) {
  JpegSpec spec;
  spec.restart_interval = 2;
  auto bytes = libjpeg_encode(pattern_image(200, 90, 2), spec);
  auto header = parse_jpeg_header(bytes);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->restart_interval, 2);
  EXPECT_EQ(passthrough_obstacle(header), "");
}

TEST(JpegHeader, StreamsOtherReadersMightTreatDifferentlyAreRefusedWithTheReason) {
  const Image img = pattern_image(64, 40, 3);
  JpegSpec progressive;
  progressive.progressive = true;
  EXPECT_EQ(obstacle_of(libjpeg_encode(img, progressive)), "progressive JPEG");
  std::vector<uint8_t> gray(64 * 40, 100), cmyk(64 * 40 * 4, 50);
  JpegSpec g;
  g.in_space = JCS_GRAYSCALE;
  EXPECT_EQ(obstacle_of(libjpeg_encode(gray.data(), 64, 40, g)), "grayscale");
  JpegSpec c;
  c.in_space = JCS_CMYK;
  EXPECT_EQ(obstacle_of(libjpeg_encode(cmyk.data(), 64, 40, c)), "CMYK/YCCK");
  auto full = libjpeg_encode(img);
  EXPECT_EQ(obstacle_of({full.begin(), full.end() - 40}), "truncated");
  EXPECT_EQ(obstacle_of({full.begin(), full.begin() + 30}), "damaged or incomplete JPEG markers");
  EXPECT_EQ(obstacle_of(fastimg::testing::png_encode(img)), "damaged or incomplete JPEG markers");
  EXPECT_EQ(obstacle_of({}), "damaged or incomplete JPEG markers");
}

TEST(JpegHeader, RgbStoredWithoutTheColourTransformIsRefused) {
  // libjpeg's RGB colour space writes an Adobe marker with transform 0 instead of JFIF.
  JpegSpec rgb;
  rgb.stored_space = JCS_RGB;
  const std::vector<uint8_t> bytes = libjpeg_encode(pattern_image(32, 32, 4), rgb);
  EXPECT_EQ(obstacle_of(bytes), "RGB without colour transform");
}

TEST(JpegHeader, SharedImageNetSampleQualifiesMostlyAndEveryQualifierDecodesToItsHeaderSize) {
  int qualifying = 0, total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fastimg::testing::shared_dir() / "data/imagenet-sample")) {
    auto bytes = fastimg::testing::read_bytes(entry.path().string());
    ++total;
    auto header = parse_jpeg_header(bytes);
    if (!passthrough_obstacle(header).empty()) continue;
    ++qualifying;
    Image decoded = decode_image(bytes, entry.path().string());
    EXPECT_EQ(decoded.width, header->width) << entry.path();
    EXPECT_EQ(decoded.height, header->height) << entry.path();
  }
  EXPECT_EQ(total, 256);
  EXPECT_GT(qualifying, total * 9 / 10) << "ImageNet's JPEGs are nearly all 3-channel baseline";
}

}  // namespace
}  // namespace fastimg::codec
