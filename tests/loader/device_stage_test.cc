#include "loader/device_stage.h"

#include <gtest/gtest.h>

namespace fastimg::loader {
namespace {

TEST(DeviceStage, NormalisesToNchwWithImageNetStats) {
  torch::manual_seed(0);
  auto x = torch::randint(0, 256, {2, 5, 7, 3}, torch::kUInt8);
  auto out = to_model_input(x, torch::kCPU, false, torch::kFloat32);
  auto mean = torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1}) * 255;
  auto std = torch::tensor({0.229, 0.224, 0.225}).view({1, 3, 1, 1}) * 255;
  auto ref = ((x.permute({0, 3, 1, 2}).to(torch::kFloat64) - mean) / std).to(torch::kFloat32);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 3, 5, 7}));
  EXPECT_TRUE(out.is_contiguous());
  EXPECT_TRUE(torch::allclose(out, ref, 1e-5, 1e-5));
}

TEST(DeviceStage, ChannelsLastAndReducedPrecision) {
  auto x = torch::randint(0, 256, {3, 4, 4, 3}, torch::kUInt8);
  auto ref = to_model_input(x, torch::kCPU, false, torch::kFloat32);
  auto cl = to_model_input(x, torch::kCPU, true, torch::kBFloat16);
  EXPECT_EQ(cl.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(cl.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(cl.to(torch::kFloat32), ref, 2e-2, 2e-2));
}

TEST(DeviceStage, RejectsNonImageInput) {
  EXPECT_ANY_THROW(to_model_input(torch::zeros({2, 3, 4, 4}), torch::kCPU, false, torch::kFloat32));
}

}  // namespace
}  // namespace fastimg::loader
