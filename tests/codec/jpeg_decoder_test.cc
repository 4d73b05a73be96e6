#include "codec/jpeg_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codec/crop_resize.h"
#include "test_support.h"
#include "util/error.h"
#include "util/rng.h"

namespace fastimg::codec {
namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::filesystem::path> sample_jpegs() {
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(testing::shared_dir() / "data/imagenet-sample")) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double mean_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::abs(int(a[i]) - int(b[i]));
  return s / a.size();
}

// Reference: the whole image decoded at full size, then the same crop + resize.
std::vector<uint8_t> reference(JpegDecoder& dec, const std::vector<uint8_t>& jpeg, Rect crop, int w, int h) {
  ImageView full = dec.decode_full(jpeg);
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3);
  crop_resize(full, crop, w, h, false, out.data(), w * 3);
  return out;
}

TEST(JpegDecoder, ScaleIsSmallestCoveringTheTarget) {
  EXPECT_EQ(jpeg_scale_for(500, 375, 160, 160), 4);  // 375 * 3/8 < 160 <= 375 * 4/8
  EXPECT_EQ(jpeg_scale_for(1280, 1280, 160, 160), 1);
  EXPECT_EQ(jpeg_scale_for(100, 100, 224, 224), 8);  // upscaling: full size
  EXPECT_EQ(jpeg_scale_for(224, 224, 224, 224), 8);
}

TEST(JpegDecoder, CroppedScaledDecodeMatchesFullDecodeThenResize) {
  auto files = sample_jpegs();
  ASSERT_GE(files.size(), 32u);
  JpegDecoder dec, ref_dec;
  Rng rng(11);
  int gray = 0, checked = 0, scaled = 0;
  double worst = 0, total = 0;
  for (size_t f = 0; f < files.size(); f += 4) {
    auto jpeg = read_file(files[f]);
    JpegInfo info = dec.read_header(jpeg);
    if (f == 0) {
      // A crop aligned to the scaled grid has no rounding: the DCT scaling alone differs by little.
      std::vector<uint8_t> out(160 * 160 * 3);
      dec.decode_crop_resize(jpeg, {8, 8, 320, 320}, 160, 160, false, out.data(), 480);
      EXPECT_EQ(dec.last_scale_num(), 4);
      EXPECT_LT(mean_abs_diff(out, reference(ref_dec, jpeg, {8, 8, 320, 320}, 160, 160)), 1.0);
    }
    gray += info.components == 1;
    const int W = info.width, H = info.height;
    // Crops touching each edge, the whole image, and a random one; square and odd output sizes.
    std::vector<Rect> crops = {{0, 0, W, H},
                               {0, 0, W / 2 + 1, H / 3 + 1},
                               {W - W / 3 - 1, H - H / 2 - 1, W / 3 + 1, H / 2 + 1},
                               {0, H / 4, W * 3 / 5, H * 3 / 4},
                               {W / 3, 0, W - W / 3, H * 2 / 3}};
    int cw = static_cast<int>(rng.uniform_int(W / 4, W)), ch = static_cast<int>(rng.uniform_int(H / 4, H));
    crops.push_back({static_cast<int>(rng.uniform_int(0, W - cw)), static_cast<int>(rng.uniform_int(0, H - ch)), cw, ch});
    for (const Rect& c : crops) {
      for (auto [ow, oh] : {std::pair{160, 160}, std::pair{97, 131}, std::pair{224, 224}}) {
        std::vector<uint8_t> out(static_cast<size_t>(ow) * oh * 3);
        dec.decode_crop_resize(jpeg, c, ow, oh, false, out.data(), ow * 3, files[f].string());
        scaled += dec.last_scale_num() < 8;
        double d = mean_abs_diff(out, reference(ref_dec, jpeg, c, ow, oh));
        worst = std::max(worst, d);
        total += d;
        // Scaled crop edges are whole scaled pixels (up to 4/M source pixels off), which shows on
        // fine textures; the mean over all crops is the acceptance figure.
        EXPECT_LT(d, 12.0) << files[f] << " crop " << c.x << "," << c.y << " " << c.width << "x" << c.height << " -> "
                          << ow << "x" << oh;
        ++checked;
      }
    }
  }
  EXPECT_GT(gray, 0) << "no grayscale JPEG among the checked samples";
  EXPECT_GT(scaled, checked / 8) << "DCT scaling was rarely used";
  EXPECT_LT(total / checked, 2.0) << "worst " << worst;
  RecordProperty("mean_abs_diff", std::to_string(total / checked));
  RecordProperty("worst_mean_abs_diff", std::to_string(worst));
}

// Random crops moved onto the scaled pixel grid: inside the image, never smaller, each edge
// moved by at most two grid steps, and decoded through the whole-pixel resize within the same
// tolerance of a full decode + crop + resize as any crop.
TEST(JpegDecoder, CropsAlignedToTheScaledGridStayCloseAndDecodeLikeTheReference) {
  auto files = sample_jpegs();
  ASSERT_FALSE(files.empty());
  JpegDecoder dec, ref_dec;
  Rng rng(5);
  int aligned = 0, checked = 0;
  double total = 0;
  for (size_t f = 1; f < files.size(); f += 8) {
    auto jpeg = read_file(files[f]);
    const JpegInfo info = dec.read_header(jpeg);
    for (int k = 0; k < 4; ++k) {
      const int W = info.width, H = info.height;
      const int cw = static_cast<int>(rng.uniform_int(W / 3, W)), ch = static_cast<int>(rng.uniform_int(H / 3, H));
      const Rect c{static_cast<int>(rng.uniform_int(0, W - cw)), static_cast<int>(rng.uniform_int(0, H - ch)), cw, ch};
      const Rect a = align_crop_to_scaled_grid(c, W, H, 160, 160);
      ASSERT_TRUE(a.x >= 0 && a.y >= 0 && a.x + a.width <= W && a.y + a.height <= H);
      ASSERT_GE(a.width, c.width);
      ASSERT_GE(a.height, c.height);
      const int m = jpeg_scale_for(a.width, a.height, 160, 160);
      if (a.x != c.x || a.y != c.y || a.width != c.width || a.height != c.height) {
        ++aligned;
        for (int v : {a.x, a.y, a.x + a.width, a.y + a.height}) EXPECT_EQ(v * m % 8, 0) << "not on the M=" << m << " grid";
        EXPECT_LE(std::abs(a.x - c.x), 16);
        EXPECT_LE(std::abs(a.x + a.width - c.x - c.width), 16);
      }
      std::vector<uint8_t> out(160 * 160 * 3);
      dec.decode_crop_resize(jpeg, a, 160, 160, false, out.data(), 160 * 3);
      total += mean_abs_diff(out, reference(ref_dec, jpeg, a, 160, 160));
      ++checked;
    }
  }
  // Only the scaled decodes (M = 1, 2, 4) need a grid, about a third of these crops.
  EXPECT_GT(aligned, checked / 8) << "alignment was rarely needed";
  EXPECT_LT(total / checked, 2.0);
  RecordProperty("mean_abs_diff", std::to_string(total / checked));
}

TEST(JpegDecoder, GrayscaleImagesDecodeToEqualChannels) {
  JpegDecoder dec;
  int found = 0;
  for (auto& f : sample_jpegs()) {
    auto jpeg = read_file(f);
    if (dec.read_header(jpeg).components != 1) continue;
    std::vector<uint8_t> out(64 * 48 * 3);
    dec.decode_crop_resize(jpeg, {1, 2, 100, 90}, 64, 48, true, out.data(), 64 * 3);
    for (size_t i = 0; i < out.size(); i += 3) {
      ASSERT_EQ(out[i], out[i + 1]);
      ASSERT_EQ(out[i], out[i + 2]);
    }
    if (++found == 3) break;
  }
  EXPECT_GT(found, 0);
}

TEST(JpegDecoder, FlipIsExactMirror) {
  auto files = sample_jpegs();
  JpegDecoder dec;
  for (size_t f = 0; f < 4; ++f) {
    auto jpeg = read_file(files[f]);
    JpegInfo info = dec.read_header(jpeg);
    Rect c{info.width / 5, info.height / 7, info.width / 2, info.height / 2};
    const int w = 75, h = 60;  // odd width: the middle column stays put
    std::vector<uint8_t> a(w * h * 3), b(w * h * 3);
    dec.decode_crop_resize(jpeg, c, w, h, false, a.data(), w * 3);
    dec.decode_crop_resize(jpeg, c, w, h, true, b.data(), w * 3);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < 3; ++k) ASSERT_EQ(a[(y * w + x) * 3 + k], b[(y * w + (w - 1 - x)) * 3 + k]);
  }
}

TEST(JpegDecoder, WritesIntoStridedDestination) {
  auto jpeg = read_file(sample_jpegs()[0]);
  JpegDecoder dec;
  const int w = 32, h = 16, stride = w * 3 + 17;
  std::vector<uint8_t> dst(stride * h, 0xAB), tight(w * h * 3);
  dec.decode_crop_resize(jpeg, {0, 0, 100, 50}, w, h, false, dst.data(), stride);
  dec.decode_crop_resize(jpeg, {0, 0, 100, 50}, w, h, false, tight.data(), w * 3);
  for (int y = 0; y < h; ++y) {
    EXPECT_TRUE(std::equal(tight.begin() + y * w * 3, tight.begin() + (y + 1) * w * 3, dst.begin() + y * stride));
    for (int k = w * 3; k < stride; ++k) EXPECT_EQ(dst[y * stride + k], 0xAB);
  }
}

TEST(JpegDecoder, CorruptDataThrowsErrorNamingTheSample) {
  JpegDecoder dec;
  std::vector<uint8_t> junk(1000, 0x42);
  std::vector<uint8_t> out(16 * 16 * 3);
  try {
    dec.decode_crop_resize(junk, {0, 0, 8, 8}, 16, 16, false, out.data(), 48, "train.beton: sample 17");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sample 17"), std::string::npos) << e.what();
  }
  // Truncated stream: libjpeg pads it (a warning), or fails; either way no crash, and the decoder is reusable.
  auto jpeg = read_file(sample_jpegs()[1]);
  std::vector<uint8_t> truncated(jpeg.begin(), jpeg.begin() + jpeg.size() / 2);
  try {
    dec.decode_crop_resize(truncated, {0, 0, 64, 64}, 16, 16, false, out.data(), 48);
  } catch (const Error&) {
  }
  EXPECT_THROW(dec.decode_crop_resize(jpeg, {0, 0, 100000, 64}, 16, 16, false, out.data(), 48), Error);
  dec.decode_crop_resize(jpeg, {0, 0, 64, 64}, 16, 16, false, out.data(), 48);
}

// A sample's pixels are a function of its bytes and its crop alone: the same crop through a fresh
// decoder and through one that has just decoded other images (which leaves their rows in its
// buffers) is the same, byte for byte. Crops off the iMCU grid at every scale, 4:2:0 included.
TEST(JpegDecoder, OutputDoesNotDependOnWhatTheDecoderDecodedBefore) {
  auto files = sample_jpegs();
  JpegDecoder used;
  Rng rng(21);
  int checked = 0;
  for (size_t f = 0; f < files.size(); f += 5) {
    const auto jpeg = read_file(files[f]);
    const JpegInfo info = used.read_header(jpeg);
    for (int k = 0; k < 4; ++k) {
      const int out = k % 2 ? 64 : 160;
      const int cw = static_cast<int>(rng.uniform_int(std::min(info.width, 40), info.width));
      const int ch = static_cast<int>(rng.uniform_int(std::min(info.height, 40), info.height));
      const Rect c{static_cast<int>(rng.uniform_int(0, info.width - cw)),
                   static_cast<int>(rng.uniform_int(0, info.height - ch)), cw, ch};
      std::vector<uint8_t> a(out * out * 3), b(a.size());
      JpegDecoder fresh;
      fresh.decode_crop_resize(jpeg, c, out, out, false, a.data(), out * 3);
      // Fill the used decoder's buffers with another image's rows first.
      const auto other = read_file(files[(f + 1 + k) % files.size()]);
      const JpegInfo oi = used.read_header(other);
      std::vector<uint8_t> scratch(a.size());
      used.decode_crop_resize(other, {0, 0, oi.width, oi.height}, out, out, false, scratch.data(), out * 3);
      used.decode_crop_resize(jpeg, c, out, out, false, b.data(), out * 3);
      ASSERT_EQ(a, b) << files[f] << " crop " << c.width << "x" << c.height << "+" << c.x << "+" << c.y << " -> "
                      << out << ", scale " << used.last_scale_num() << "/8";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(JpegDecoder, ReservedScratchIsNeverReallocated) {
  auto files = sample_jpegs();
  JpegDecoder dec;
  dec.reserve(4096 * 4096 * 3);
  std::vector<uint8_t> out(160 * 160 * 3);
  for (size_t f = 0; f < files.size(); f += 8) {
    auto jpeg = read_file(files[f]);
    JpegInfo info = dec.read_header(jpeg);
    dec.decode_crop_resize(jpeg, {0, 0, info.width, info.height}, 160, 160, true, out.data(), 480);
    dec.decode_full(jpeg);
  }
  EXPECT_EQ(dec.scratch_reallocations(), 0u);
}

}  // namespace
}  // namespace fastimg::codec
