#include "codec/image.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "codec/test_images.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::codec {
namespace {

using fastimg::testing::JpegSpec;
using fastimg::testing::libjpeg_encode;
using fastimg::testing::mean_abs_diff;
using fastimg::testing::pattern_image;

std::filesystem::path sample_dir() { return fastimg::testing::shared_dir() / "data/imagenet-sample"; }

TEST(DecodeImage, DecodesEveryImagenetSampleToRgbWithGrayscaleReplicated) {
  int files = 0, gray = 0;
  for (const auto& entry : std::filesystem::directory_iterator(sample_dir())) {
    Image img = load_image_file(entry.path().string());
    ASSERT_GT(img.width, 0);
    ASSERT_EQ(img.pixels.size(), size_t(img.width) * img.height * 3);
    bool is_gray = true;
    for (size_t i = 0; i < img.pixels.size() && is_gray; i += 3)
      is_gray = img.pixels[i] == img.pixels[i + 1] && img.pixels[i] == img.pixels[i + 2];
    gray += is_gray;
    ++files;
  }
  EXPECT_EQ(files, 256);
  EXPECT_GE(gray, 23);  // the sample holds 23 grayscale JPEGs
}

TEST(DecodeImage, BaselineRgbJpegMatchesSourceWithinTolerance) {
  Image src = pattern_image(97, 61);
  Image img = decode_image(libjpeg_encode(src), "pattern");
  ASSERT_EQ(img.width, 97);
  ASSERT_EQ(img.height, 61);
  EXPECT_LT(mean_abs_diff(img.pixels.data(), src.pixels.data(), src.pixels.size()), 3.0);
}

TEST(DecodeImage, ProgressiveJpegDecodesLikeBaseline) {
  Image src = pattern_image(120, 80, 3);
  JpegSpec progressive;
  progressive.progressive = true;
  Image a = decode_image(libjpeg_encode(src), "baseline");
  Image b = decode_image(libjpeg_encode(src, progressive), "progressive");
  ASSERT_EQ(b.width, 120);
  EXPECT_LT(mean_abs_diff(a.pixels.data(), b.pixels.data(), a.pixels.size()), 1.0);
}

TEST(DecodeImage, GrayscaleJpegBecomesRgb) {
  std::vector<uint8_t> gray(64 * 32);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i % 64 * 4);
  JpegSpec spec;
  spec.in_space = JCS_GRAYSCALE;
  Image img = decode_image(libjpeg_encode(gray.data(), 64, 32, spec), "gray");
  ASSERT_EQ(img.pixels.size(), 64u * 32 * 3);
  for (size_t i = 0; i < gray.size(); ++i) {
    ASSERT_EQ(img.pixels[3 * i], img.pixels[3 * i + 1]);
    ASSERT_EQ(img.pixels[3 * i], img.pixels[3 * i + 2]);
    ASSERT_NEAR(img.pixels[3 * i], gray[i], 12);
  }
}

// A flat CMYK image whose colour under the marker's convention is pure red.
Image decode_flat_cmyk(bool adobe_marker, std::array<uint8_t, 4> cmyk) {
  std::vector<uint8_t> samples;
  for (int i = 0; i < 32 * 24; ++i) samples.insert(samples.end(), cmyk.begin(), cmyk.end());
  JpegSpec spec;
  spec.in_space = JCS_CMYK;
  spec.adobe_marker = adobe_marker;
  return decode_image(libjpeg_encode(samples.data(), 32, 24, spec), "cmyk");
}

TEST(DecodeImage, AdobeInvertedCmykJpegBecomesRgb) {
  // Adobe stores 255 - ink: C=255,K=255 means no cyan, no black; M=Y=0 means full magenta+yellow.
  Image img = decode_flat_cmyk(true, {255, 0, 0, 255});
  ASSERT_EQ(img.width, 32);
  EXPECT_NEAR(img.pixels[0], 255, 3);
  EXPECT_NEAR(img.pixels[1], 0, 3);
  EXPECT_NEAR(img.pixels[2], 0, 3);
}

TEST(DecodeImage, PlainCmykJpegWithoutAdobeMarkerBecomesRgb) {
  Image img = decode_flat_cmyk(false, {0, 255, 255, 0});
  EXPECT_NEAR(img.pixels[0], 255, 3);
  EXPECT_NEAR(img.pixels[1], 0, 3);
  EXPECT_NEAR(img.pixels[2], 0, 3);
}

TEST(DecodeImage, PngDecodesExactlyEvenWithoutPngExtension) {
  Image src = pattern_image(33, 17, 5);
  fastimg::testing::TempDir dir;
  std::string path = (dir / "disguised.JPEG").string();
  fastimg::testing::write_bytes(path, fastimg::testing::png_encode(src));
  Image img = load_image_file(path);
  ASSERT_EQ(img.width, 33);
  EXPECT_EQ(img.pixels, src.pixels);
}

TEST(DecodeImage, CorruptBytesThrowNamingTheInput) {
  std::vector<uint8_t> junk(500);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 7 + 3);
  try {
    decode_image(junk, "junk.jpg");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.jpg"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_image({}, "empty.jpg"), Error);
  // A JPEG signature followed by garbage.
  junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF;
  EXPECT_THROW(decode_image(junk, "bad.jpg"), Error);
}

TEST(DecodeImage, TruncatedJpegIsAnError) {
  auto bytes = libjpeg_encode(pattern_image(200, 150));
  for (double keep : {0.3, 0.6, 0.95}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() * keep));
    try {
      decode_image(cut, "cut.jpg");
      FAIL() << "truncated to " << keep << " decoded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.jpg"), std::string::npos);
    }
  }
  // Progressive too.
  JpegSpec progressive;
  progressive.progressive = true;
  auto pbytes = libjpeg_encode(pattern_image(200, 150), progressive);
  std::vector<uint8_t> cut(pbytes.begin(), pbytes.begin() + static_cast<long>(pbytes.size() / 2));
  EXPECT_THROW(decode_image(cut, "cut-progressive.jpg"), Error);
}

TEST(DecodeImage, TruncatedPngIsAnError) {
  auto bytes = fastimg::testing::png_encode(pattern_image(100, 100));
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2));
  EXPECT_THROW(decode_image(cut, "cut.png"), Error);
}

TEST(EncodeJpeg, ProducesBaselineJpegThatDecodesWithinTolerance) {
  Image src = pattern_image(150, 100, 1);
  auto bytes = encode_jpeg(src.view(), 90);
  ASSERT_GT(bytes.size(), 4u);
  EXPECT_EQ(bytes[0], 0xFF);
  EXPECT_EQ(bytes[1], 0xD8);
  EXPECT_EQ(bytes[bytes.size() - 2], 0xFF);
  EXPECT_EQ(bytes[bytes.size() - 1], 0xD9);
  // Baseline: a SOF0 marker, no SOF2.
  bool sof0 = false, sof2 = false;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) {
    sof0 |= bytes[i] == 0xFF && bytes[i + 1] == 0xC0;
    sof2 |= bytes[i] == 0xFF && bytes[i + 1] == 0xC2;
  }
  EXPECT_TRUE(sof0);
  EXPECT_FALSE(sof2);
  Image back = decode_image(bytes, "encoded");
  ASSERT_EQ(back.width, 150);
  EXPECT_LT(mean_abs_diff(back.pixels.data(), src.pixels.data(), src.pixels.size()), 3.0);
  // Higher quality, bigger file.
  EXPECT_GT(encode_jpeg(src.view(), 98).size(), encode_jpeg(src.view(), 50).size());
}

TEST(EncodeJpeg, HonoursStrideOfACropView) {
  Image src = pattern_image(64, 64, 2);
  ImageView crop{src.pixels.data() + (8 * 64 + 8) * 3, 32, 16, src.view().stride};
  Image back = decode_image(encode_jpeg(crop, 95), "crop");
  ASSERT_EQ(back.width, 32);
  ASSERT_EQ(back.height, 16);
  Image expected = resize_rgb(crop, 32, 16);  // same size: a plain copy of the crop
  EXPECT_LT(mean_abs_diff(back.pixels.data(), expected.pixels.data(), expected.pixels.size()), 3.0);
}

TEST(ResizeRgb, ShrinksAndGrowsAndKeepsFlatColour) {
  Image flat;
  flat.resize(40, 30);
  for (size_t i = 0; i < flat.pixels.size(); i += 3) flat.pixels[i] = 10, flat.pixels[i + 1] = 200, flat.pixels[i + 2] = 77;
  for (auto [w, h] : {std::pair{20, 15}, std::pair{13, 7}, std::pair{80, 61}, std::pair{40, 30}}) {
    Image out = resize_rgb(flat.view(), w, h);
    ASSERT_EQ(out.width, w);
    ASSERT_EQ(out.height, h);
    for (size_t i = 0; i < out.pixels.size(); i += 3) {
      ASSERT_EQ(out.pixels[i], 10);
      ASSERT_EQ(out.pixels[i + 1], 200);
      ASSERT_EQ(out.pixels[i + 2], 77);
    }
  }
  // INTER_AREA halving averages 2x2 blocks exactly.
  Image src;
  src.resize(2, 2);
  src.pixels = {0, 0, 0, 100, 100, 100, 200, 200, 200, 100, 100, 100};
  Image half = resize_rgb(src.view(), 1, 1);
  EXPECT_EQ(half.pixels[0], 100);
}

}  // namespace
}  // namespace fastimg::codec
