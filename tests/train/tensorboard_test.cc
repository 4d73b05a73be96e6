#include "train/tensorboard.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_support.h"

namespace fastimg::train {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) test vector: 32 bytes of zeros, and the classic "123456789" check value.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
}

TEST(TensorBoardWriter, TensorBoardReadsTheScalars) {
  testing::TempDir dir;
  {
    TensorBoardWriter writer(dir.path().string());
    for (int step = 0; step < 5; ++step) writer.add_scalar("train/loss", 2.5 - 0.5 * step, step * 10);
    writer.add_scalar("val/top1", 0.75, 40);
  }
  auto result = testing::run_python("tensorboard_read.py", dir.path().string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::string expected =
      "train/loss,0,2.5\ntrain/loss,10,2.0\ntrain/loss,20,1.5\ntrain/loss,30,1.0\ntrain/loss,40,0.5\n"
      "val/top1,40,0.75\n";
  // The reader may print warnings first; the scalar lines are the tail.
  ASSERT_GE(result.output.size(), expected.size()) << result.output;
  EXPECT_EQ(result.output.substr(result.output.size() - expected.size()), expected) << result.output;
}

}  // namespace
}  // namespace fastimg::train
