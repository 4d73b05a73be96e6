#include "codec/crop_resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "util/error.h"
#include "util/rng.h"

namespace fastimg::codec {
namespace {

Image random_image(int w, int h, uint64_t seed) {
  Image img;
  img.resize(w, h);
  Rng rng(seed);
  // Smooth-ish content so that interpolation differences would show.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        img.pixels[(y * w + x) * 3 + k] = static_cast<uint8_t>((x * (k + 1) + y * 3 + rng.uniform_int(0, 20)) & 0xFF);
  return img;
}

// OpenCV in float, one axis at a time (INTER_AREA where the axis shrinks, INTER_LINEAR where it
// grows), rounded once: the filter crop_resize promises, computed independently.
cv::Mat per_axis_reference(const Image& img, Rect c, int w, int h, bool flip) {
  cv::Mat src(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
  cv::Mat f, across, both, out;
  src(cv::Rect(c.x, c.y, c.width, c.height)).convertTo(f, CV_32FC3);
  auto filter = [](int in, int out) { return in >= out ? cv::INTER_AREA : cv::INTER_LINEAR; };
  cv::resize(f, across, cv::Size(w, c.height), 0, 0, filter(c.width, w));
  cv::resize(across, both, cv::Size(w, h), 0, 0, filter(c.height, h));
  if (flip) cv::flip(both, both, 1);
  both.convertTo(out, CV_8UC3);
  return out;
}

// Largest absolute difference between crop_resize's output and ref.
int max_diff(const std::vector<uint8_t>& out, const cv::Mat& ref) {
  EXPECT_TRUE(ref.isContinuous());
  int worst = 0;
  for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::abs(int(out[i]) - int(ref.data[i])));
  return worst;
}

TEST(CropResize, FiltersEachAxisLikeOpenCvIncludingFlipAndEdges) {
  Image img = random_image(301, 199, 1);
  for (Rect c : {Rect{0, 0, 301, 199}, Rect{0, 0, 150, 100}, Rect{151, 99, 150, 100}, Rect{10, 20, 40, 30},
                 Rect{300, 0, 1, 199}, Rect{0, 198, 301, 1}, Rect{7, 9, 1, 1}}) {
    for (auto [w, h] : {std::pair{64, 64}, std::pair{97, 33}, std::pair{224, 224}, std::pair{1, 1}, std::pair{75, 50}}) {
      for (bool flip : {false, true}) {
        std::vector<uint8_t> out(w * h * 3);
        crop_resize(img.view(), c, w, h, flip, out.data(), w * 3);
        ASSERT_LE(max_diff(out, per_axis_reference(img, c, w, h, flip)), 1)
            << c.width << "x" << c.height << "+" << c.x << "+" << c.y << " -> " << w << "x" << h << " flip " << flip;
      }
    }
  }
}

TEST(CropResize, RandomCropsShrinkWithinOneOfOpenCvArea) {
  // Random-resized-crop shapes on a 512 x 384 raw sample: non-integer and integer ratios up to 6x,
  // compared with 8-bit INTER_AREA (what FFCV's loader runs).
  Image img = random_image(512, 384, 5);
  cv::Mat src(img.height, img.width, CV_8UC3, img.pixels.data());
  Rng rng(6);
  for (int trial = 0; trial < 60; ++trial) {
    const int r = trial % 3 == 0 ? 64 : 160;
    const int cw = static_cast<int>(rng.uniform_int(r, 512)), ch = static_cast<int>(rng.uniform_int(r, 384));
    const Rect c{static_cast<int>(rng.uniform_int(0, 512 - cw)), static_cast<int>(rng.uniform_int(0, 384 - ch)), cw, ch};
    const bool flip = trial % 2 == 1;
    std::vector<uint8_t> out(r * r * 3);
    crop_resize(img.view(), c, r, r, flip, out.data(), r * 3);
    cv::Mat ref;
    cv::resize(src(cv::Rect(c.x, c.y, cw, ch)), ref, cv::Size(r, r), 0, 0, cv::INTER_AREA);
    if (flip) cv::flip(ref, ref, 1);
    ASSERT_LE(max_diff(out, ref), 1) << cw << "x" << ch << " -> " << r;
  }
}

TEST(CropResize, WritesIntoAStridedSlotAndLeavesThePaddingAlone) {
  Image img = random_image(90, 70, 7);
  const int w = 32, h = 20;
  const size_t stride = w * 3 + 11;
  std::vector<uint8_t> slot(stride * h, 0xAB), tight(w * h * 3);
  crop_resize(img.view(), {3, 4, 80, 60}, w, h, true, slot.data(), stride);
  crop_resize(img.view(), {3, 4, 80, 60}, w, h, true, tight.data(), w * 3);
  for (int y = 0; y < h; ++y) {
    ASSERT_EQ(0, std::memcmp(slot.data() + y * stride, tight.data() + y * w * 3, w * 3)) << y;
    for (size_t k = w * 3; k < stride; ++k) ASSERT_EQ(slot[y * stride + k], 0xAB) << y;
  }
}

TEST(CropResize, SameSizeCropIsACopy) {
  Image img = random_image(50, 40, 2);
  std::vector<uint8_t> out(20 * 10 * 3);
  crop_resize(img.view(), {5, 7, 20, 10}, 20, 10, false, out.data(), 60);
  for (int y = 0; y < 10; ++y)
    ASSERT_EQ(0, std::memcmp(out.data() + y * 60, img.pixels.data() + ((y + 7) * 50 + 5) * 3, 60));
}

TEST(CropResize, CropOutsideImageThrows) {
  Image img = random_image(20, 20, 3);
  std::vector<uint8_t> out(10 * 10 * 3);
  EXPECT_THROW(crop_resize(img.view(), {15, 0, 10, 10}, 10, 10, false, out.data(), 30), Error);
  EXPECT_THROW(crop_resize(img.view(), {0, 0, 0, 10}, 10, 10, false, out.data(), 30), Error);
}

TEST(ResampleWindow, IdentityAndFractionalShiftOfARamp) {
  Image img = random_image(40, 30, 4);
  std::vector<uint8_t> out(20 * 10 * 3);
  resample_window(img.view(), 5, 7, 20, 10, 20, 10, false, out.data(), 60);  // whole pixels, scale 1: a copy
  for (int y = 0; y < 10; ++y)
    ASSERT_EQ(0, std::memcmp(out.data() + y * 60, img.pixels.data() + ((y + 7) * 40 + 5) * 3, 60));
  // A horizontal ramp v = 4x: the window [2.5, 2.5 + 30) at 2x shrink samples centres 3.5, 5.5, ...
  Image ramp;
  ramp.resize(64, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 64; ++x)
      for (int k = 0; k < 3; ++k) ramp.pixels[(y * 64 + x) * 3 + k] = static_cast<uint8_t>(4 * x);
  std::vector<uint8_t> r(15 * 2 * 3), flipped(15 * 2 * 3);
  resample_window(ramp.view(), 2.5, 0, 30, 4, 15, 2, false, r.data(), 45);
  resample_window(ramp.view(), 2.5, 0, 30, 4, 15, 2, true, flipped.data(), 45);
  for (int i = 0; i < 15; ++i) {
    EXPECT_NEAR(r[i * 3], 4 * (2.5 + 2 * i + 1 - 0.5), 1.0) << i;
    EXPECT_EQ(flipped[i * 3], r[(14 - i) * 3]);
  }
}

}  // namespace
}  // namespace fastimg::codec
