#include "codec/crop_resize.h"

#include <gtest/gtest.h>

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

cv::Mat reference(const Image& img, Rect c, int w, int h, bool flip) {
  cv::Mat src(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.pixels.data()));
  cv::Mat roi = src(cv::Rect(c.x, c.y, c.width, c.height)), out, flipped;
  bool shrink = c.width >= w && c.height >= h;
  cv::resize(roi, out, cv::Size(w, h), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (!flip) return out;
  cv::flip(out, flipped, 1);
  return flipped;
}

TEST(CropResize, EqualsOpenCvReferenceIncludingFlipAndEdges) {
  Image img = random_image(301, 199, 1);
  for (Rect c : {Rect{0, 0, 301, 199}, Rect{0, 0, 150, 100}, Rect{151, 99, 150, 100}, Rect{10, 20, 40, 30}}) {
    for (auto [w, h] : {std::pair{64, 64}, std::pair{97, 33}, std::pair{224, 224}}) {
      for (bool flip : {false, true}) {
        std::vector<uint8_t> out(w * h * 3);
        crop_resize(img.view(), c, w, h, flip, out.data(), w * 3);
        cv::Mat ref = reference(img, c, w, h, flip);
        ASSERT_TRUE(ref.isContinuous());
        ASSERT_EQ(0, std::memcmp(out.data(), ref.data, out.size())) << c.x << "," << c.y << " " << w << "x" << h
                                                                   << " flip " << flip;
      }
    }
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
