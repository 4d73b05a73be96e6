// VGG-16 (±BN) and ViT-B/16 against torchvision. Slow: 138 M / 87 M parameters each way.
#include <gtest/gtest.h>

#include "models/registry.h"
#include "reference_check.h"
#include "util/error.h"

namespace fastimg::models {
namespace {

using testing::expect_matches_torchvision;

TEST(LargeModels, ParameterCountsEqualTorchvision) {
  EXPECT_EQ(count_parameters(*make_model("vgg16", {})), 138'357'544);
  EXPECT_EQ(count_parameters(*make_model("vgg16_bn", {})), 138'365'992);
  EXPECT_EQ(count_parameters(*make_model("vit_b_16", {})), 86'567'656);
}

// 32 px works thanks to the adaptive 7x7 pool; dropout is set to 0 for the train-mode comparison.
TEST(LargeModels, Vgg16MatchesTorchvision) {
  expect_matches_torchvision({.model = "vgg16", .resolution = 32, .channels_last_too = false});
}

TEST(LargeModels, Vgg16BnMatchesTorchvision) {
  expect_matches_torchvision({.model = "vgg16_bn", .resolution = 32});
}

// torchvision's vit_b_16 takes 224 px only.
TEST(LargeModels, VitB16MatchesTorchvision) {
  expect_matches_torchvision({.model = "vit_b_16", .batch = 1, .resolution = 224, .channels_last_too = false});
}

TEST(LargeModels, VitRejectsOtherResolutions) {
  auto vit = make_model("vit_b_16", {.num_classes = 10});
  EXPECT_THROW(vit->forward(torch::randn({1, 3, 160, 160})), Error);
}

TEST(LargeModels, VitInitFollowsTorchvision) {
  torch::manual_seed(0);
  auto vit = make_model("vit_b_16", {});
  auto p = vit->named_parameters();
  EXPECT_EQ(p["heads.head.weight"].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(p["class_token"].abs().sum().item<float>(), 0.0f);
  EXPECT_NEAR(p["encoder.pos_embedding"].std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(p["conv_proj.weight"].std().item<double>(), std::sqrt(1.0 / 768), 0.001);
  EXPECT_LT(p["encoder.layers.encoder_layer_0.mlp.0.bias"].abs().max().item<double>(), 1e-4);
  // xavier uniform: bound sqrt(6 / (768 + 3072))
  EXPECT_LE(p["encoder.layers.encoder_layer_0.mlp.0.weight"].abs().max().item<double>(), std::sqrt(6.0 / 3840));
}

}  // namespace
}  // namespace fastimg::models
