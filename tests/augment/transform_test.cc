// The transform interface: plans compose in order, the standard pipelines draw exactly what the
// functions they wrap draw, and the two evaluation crops sit where their references put them.
#include "augment/transform.h"

#include <gtest/gtest.h>

#include "augment/center_crop.h"
#include "augment/flip.h"
#include "augment/pipelines.h"
#include "augment/random_resized_crop.h"
#include "util/error.h"

namespace fastimg::augment {
namespace {

TEST(Transforms, EmptyListPlansTheWholeImageUnflipped) {
  Rng rng(1);
  const SamplePlan p = plan_sample({}, 300, 200, 64, 64, rng);
  EXPECT_EQ(p.crop, (codec::Rect{0, 0, 300, 200}));
  EXPECT_FALSE(p.flip);
  EXPECT_FALSE(p.crop_may_snap);
}

TEST(Transforms, TrainPipelineDrawsTheCropThenTheFlipFromTheSampleRng) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng a(seed), b(seed);
    const SamplePlan p = plan_sample(train_transforms(), 500, 375, 160, 160, a);
    const codec::Rect crop = random_resized_crop(500, 375, b);
    const bool flip = random_flip(b);
    ASSERT_EQ(p.crop, crop) << seed;
    ASSERT_EQ(p.flip, flip) << seed;
    ASSERT_TRUE(p.crop_may_snap);
  }
}

TEST(Transforms, CropsComposeWithinTheRegionChosenSoFar) {
  Rng rng(3);
  // A centre crop of a centre crop: ratio 0.5 of 400x200 is 100x100 at (150, 50); 0.5 of that is
  // 50x50 at (25, 25) inside it.
  const Transforms twice = {std::make_shared<CenterCrop>(0.5), std::make_shared<CenterCrop>(0.5)};
  EXPECT_EQ(plan_sample(twice, 400, 200, 32, 32, rng).crop, (codec::Rect{175, 75, 50, 50}));
}

TEST(Transforms, FlipProbabilityZeroAndOne) {
  Rng rng(5);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(plan_sample({std::make_shared<RandomHorizontalFlip>(0.0)}, 10, 10, 4, 4, rng).flip);
    EXPECT_TRUE(plan_sample({std::make_shared<RandomHorizontalFlip>(1.0)}, 10, 10, 4, 4, rng).flip);
  }
}

// torchvision Resize(224) + CenterCrop(224) of a 500x375 image: 298x224 (int(224 * 500 / 375)),
// cropped at left round(74 / 2) = 37, i.e. source x from 37 * 500/298 = 62.08 over 224 * 500/298
// = 375.8 pixels; all rows.
TEST(CenterCrop, ResizeThenCropMatchesTorchvisionGeometry) {
  EXPECT_EQ(resize_then_center_crop(500, 375, 224, 1.0), (codec::Rect{62, 0, 376, 375}));
  // Resize(256) + CenterCrop(224) of 256x256: 224x224 at (16, 16), as FFCV's 224/256 crop.
  EXPECT_EQ(resize_then_center_crop(256, 256, 224, 224.0 / 256), (codec::Rect{16, 16, 224, 224}));
  EXPECT_EQ(resize_then_center_crop(256, 256, 224, 224.0 / 256), center_crop(256, 256));
  // Portrait: 375x500 at ratio 1 mirrors the landscape case.
  EXPECT_EQ(resize_then_center_crop(375, 500, 224, 1.0), (codec::Rect{0, 62, 375, 376}));
}

TEST(CenterCrop, ValPipelineUsesTheConfiguredRatioAndMode) {
  Rng rng(0);
  EXPECT_EQ(plan_sample(val_transforms(), 500, 375, 224, 224, rng).crop, center_crop(500, 375));
  const ValAugmentation rr{1.0, CenterCropMode::kResizeThenCrop};
  EXPECT_EQ(plan_sample(val_transforms(rr), 500, 375, 224, 224, rng).crop, (codec::Rect{62, 0, 376, 375}));
  EXPECT_FALSE(plan_sample(val_transforms(), 500, 375, 224, 224, rng).crop_may_snap);
}

}  // namespace
}  // namespace fastimg::augment
