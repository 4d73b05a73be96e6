#include "train/resolution_schedule.h"

#include <gtest/gtest.h>

namespace fastimg::train {
namespace {

// Values of FFCV's get_res (np.interp, then round to a multiple of 32) for its 16-epoch recipe.
TEST(ResolutionSchedule, MatchesFfcvRampFor16Epochs) {
  const int64_t expected[16] = {160, 160, 160, 160, 160, 160, 160, 160, 160, 160, 160, 160, 192, 192, 192, 192};
  for (int64_t e = 0; e < 16; ++e) EXPECT_EQ(resolution_at_epoch(e, 160, 192, 11, 13), expected[e]) << e;
}

TEST(ResolutionSchedule, InterpolatesAndRoundsToMultiple) {
  // 88-epoch recipe: start 65, end 76. Epoch 70: 160 + 5/11*32 = 174.5 -> 5.45*32 -> 160.
  EXPECT_EQ(resolution_at_epoch(70, 160, 192, 65, 76), 160);
  // Epoch 72: 160 + 7/11*32 = 180.4 -> 5.64 -> 6*32 = 192.
  EXPECT_EQ(resolution_at_epoch(72, 160, 192, 65, 76), 192);
  EXPECT_EQ(resolution_at_epoch(0, 64, 128, 2, 6, 16), 64);
  EXPECT_EQ(resolution_at_epoch(4, 64, 128, 2, 6, 16), 96);
  EXPECT_EQ(resolution_at_epoch(9, 64, 128, 2, 6, 16), 128);
}

// The reproduction recipes train at a constant 176 px with the default 11 -> 13 ramp: epoch 12
// must stay 176 (FFCV's rounding of the midpoint would give 192).
TEST(ResolutionSchedule, AConstantResolutionIsNeverRounded) {
  for (int64_t e = 0; e < 90; ++e) EXPECT_EQ(resolution_at_epoch(e, 176, 176, 11, 13), 176) << e;
}

}  // namespace
}  // namespace fastimg::train
