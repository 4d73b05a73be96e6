#include "augment/random_resized_crop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "augment/center_crop.h"
#include "augment/flip.h"
#include "util/rng.h"

namespace fastimg::augment {
namespace {

// Accepted draws on a large square image: the area fraction is (nearly) uniform on [0.08, 1] and
// the log aspect ratio uniform on [log 3/4, log 4/3], except that draws whose side exceeds the
// image are rejected, which trims large areas with extreme ratios. Compare against the spec by
// simulating the spec's acceptance rule in doubles (no rounding) with an independent generator.
TEST(RandomResizedCrop, AreaAndAspectDistributionsMatchSpec) {
  const int W = 1000, H = 1000;
  const int n = 200000;
  std::vector<double> area, logr;
  Rng rng(derive_seed(1, 2, 3));
  for (int i = 0; i < n; ++i) {
    codec::Rect r = random_resized_crop(W, H, rng);
    ASSERT_GT(r.width, 0);
    ASSERT_LE(r.x + r.width, W);
    ASSERT_LE(r.y + r.height, H);
    area.push_back(static_cast<double>(r.width) * r.height / (W * H));
    logr.push_back(std::log(static_cast<double>(r.width) / r.height));
  }
  // The spec, simulated: first of 10 draws with w, h <= side.
  std::vector<double> ref_area, ref_logr;
  Rng ref(99);
  for (int i = 0; i < n; ++i) {
    for (int a = 0; a < 10; ++a) {
      double s = ref.uniform(0.08, 1.0), lr = ref.uniform(std::log(0.75), std::log(4.0 / 3));
      double w = std::sqrt(s * std::exp(lr)), h = std::sqrt(s / std::exp(lr));
      if (w <= 1.0 && h <= 1.0) {
        ref_area.push_back(s);
        ref_logr.push_back(lr);
        break;
      }
    }
  }
  auto quantile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(q * (v.size() - 1))];
  };
  for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
    EXPECT_NEAR(quantile(area, q), quantile(ref_area, q), 0.01) << "area quantile " << q;
    EXPECT_NEAR(quantile(logr, q), quantile(ref_logr, q), 0.01) << "log-ratio quantile " << q;
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.size();
  };
  EXPECT_NEAR(mean(area), mean(ref_area), 0.005);
  EXPECT_NEAR(mean(logr), 0.0, 0.005);  // symmetric range
  EXPECT_GE(*std::min_element(area.begin(), area.end()), 0.079);
  EXPECT_GE(*std::min_element(logr.begin(), logr.end()), std::log(0.75) - 0.01);
  EXPECT_LE(*std::max_element(logr.begin(), logr.end()), std::log(4.0 / 3) + 0.01);
}

TEST(RandomResizedCrop, OffsetsCoverTheWholeRangeInclusive) {
  // A fixed-size crop (scale and ratio pinned) of a 5x3 image: offsets must hit 0..W-w and 0..H-h.
  RandomResizedCropParams p{0.2, 0.2, 1.0, 1.0, 10};  // area 3 -> w = h = round(sqrt 3) = 2
  Rng rng(5);
  std::vector<int> xs(4), ys(2);
  for (int i = 0; i < 1000; ++i) {
    codec::Rect r = random_resized_crop(5, 3, rng, p);
    ASSERT_EQ(r.width, 2);
    ASSERT_EQ(r.height, 2);
    xs.at(r.x)++;
    ys.at(r.y)++;
  }
  for (int c : xs) EXPECT_GT(c, 150);
  for (int c : ys) EXPECT_GT(c, 350);
}

TEST(RandomResizedCrop, ExtremeImagesFallBackToClampedCentreCrop) {
  Rng rng(7);
  int fallbacks = 0;
  for (int i = 0; i < 100; ++i) {
    bool fb = false;
    codec::Rect r = random_resized_crop(1000, 10, rng, {}, &fb);  // ratio 100: nothing fits
    fallbacks += fb;
    EXPECT_EQ(r, (codec::Rect{(1000 - 13) / 2, 0, 13, 10}));  // h = 10, w = round(10 * 4/3)
  }
  EXPECT_EQ(fallbacks, 100);
  bool fb = false;
  codec::Rect r = random_resized_crop(10, 1000, rng, {}, &fb);
  EXPECT_TRUE(fb);
  EXPECT_EQ(r, (codec::Rect{0, (1000 - 13) / 2, 10, 13}));  // w = 10, h = round(10 / 0.75)
}

TEST(RandomResizedCrop, SameSeedSameCrop) {
  Rng a(derive_seed(0, 1, 42)), b(derive_seed(0, 1, 42)), c(derive_seed(0, 2, 42));
  codec::Rect ra = random_resized_crop(500, 375, a), rb = random_resized_crop(500, 375, b);
  EXPECT_EQ(ra, rb);
  int differ = 0;
  for (int i = 0; i < 10; ++i) differ += !(random_resized_crop(500, 375, a) == random_resized_crop(500, 375, c));
  EXPECT_GT(differ, 5);
}

TEST(CenterCrop, IsFfcvCentredSquare) {
  EXPECT_EQ(center_crop(500, 375), (codec::Rect{(500 - 328) / 2, (375 - 328) / 2, 328, 328}));  // int(0.875*375)=328
  EXPECT_EQ(center_crop(256, 256), (codec::Rect{16, 16, 224, 224}));
  EXPECT_EQ(center_crop(1, 1), (codec::Rect{0, 0, 1, 1}));
}

TEST(Flip, IsFairCoin) {
  Rng rng(3);
  int heads = 0;
  for (int i = 0; i < 10000; ++i) heads += random_flip(rng);
  EXPECT_NEAR(heads, 5000, 250);
}

}  // namespace
}  // namespace fastimg::augment
